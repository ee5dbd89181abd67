"""chameleon: renders an HTML table with a Chameleon page template (FunctionBench's chameleon).

As in FunctionBench the template is compiled in every invocation (Chameleon's default loader
keeps compiled templates in memory only, and a new PageTemplate compiles again), then rendered
with num_of_rows rows of num_of_cols cells.
"""
import hashlib
import re

from chameleon import PageTemplate

BIGTABLE_ZPT = """\
<table xmlns="http://www.w3.org/1999/xhtml"
xmlns:tal="http://xml.zope.org/namespaces/tal">
<tr tal:repeat="row python: options['table']">
<td tal:repeat="c python: row.values()">
<span tal:define="d python: c + 1"
tal:attributes="class python: 'column-' + str(d)"
tal:content="python: d" />
</td>
</tr>
</table>"""

CELL = re.compile(r'<span class="column-(\d+)">(\d+)</span>')


def handler(event, context):
    rows = int(event.get("num_of_rows", 10))
    cols = int(event.get("num_of_cols", 10))
    template = PageTemplate(BIGTABLE_ZPT)
    data = {str(i): i for i in range(cols)}
    table = [data for _ in range(rows)]
    html = template.render(options={"table": table})
    cells = CELL.findall(html)
    digest = hashlib.sha256(html.encode()).hexdigest()
    ok = (html.count("<tr>") == rows and html.count("<td>") == rows * cols and len(cells) == rows * cols
          and all(a == b for a, b in cells)
          and [int(b) for b, _ in cells] == list(range(1, cols + 1)) * rows)
    if "expected_sha256" in event:
        ok = ok and digest == event["expected_sha256"]
    return {"rows": rows, "cols": cols, "length": len(html), "sha256": digest, "verified": ok}
