#!/usr/bin/python3
"""Generates the inputs of the benchmark functions (the paper's evaluation set) with fixed seeds.

Run with Debian's python3 (scripts/bench-setup.sh does): every file lands in the directory of
the function that reads it, and is listed in functions/.gitignore. Idempotent: a function whose
stamp (functions/NAME/.inputs-stamp: generator version and the size of every output) still
matches is skipped without importing anything heavy, so a second run takes a fraction of a
second. Outputs are written to a temporary name and renamed, the stamp last.

    json_serdes/input.json, expected.json       a ~100 KB JSON document, its size and digest
    json_serdes_node/input.json, expected.json  the same document, and the digest of its JSON.stringify
    image_rotate/input.jpg                      a 640x480 JPEG
    image_rotate_node/input.jpg                 the same JPEG
    lr_serving/model.joblib                     TF-IDF + logistic regression trained on synthetic reviews
    rnn_serving/model.pt, expected.json         a small character GRU trained on synthetic names,
                                                and the names it generates for event.json
    cnn_serving/model.pt, input.jpg, expected.json
                                                SqueezeNet 1.1 with seeded random weights, a 320x240
                                                JPEG, and its top class
    video_processing/input.mp4, expected.json   30 frames of 160x120 (Motion JPEG in MP4), and the
                                                frame count and checksum of the grayscale frames

Everything single-threaded (the machine may be running benchmarks): torch with one thread, the
BLAS libraries with one thread, ffmpeg with -threads 1.
"""
import hashlib
import importlib
import json
import os
import random
import subprocess
import sys
import time

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP = ".inputs-stamp"
GENERATORS = {}


def generator(name, version, outputs):
    """Registers a generator of the files `outputs` in functions/NAME; `version` invalidates stamps."""
    def register(fn):
        GENERATORS[name] = (version, outputs, fn)
        return fn
    return register


def function_dir(name):
    return os.path.join(HERE, name)


def write_atomically(path, data):
    temp = path + ".tmp"
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, path)


def write_json(path, value):
    write_atomically(path, (json.dumps(value, indent=1, sort_keys=True) + "\n").encode())


def read_event(name):
    with open(os.path.join(function_dir(name), "event.json")) as f:
        return json.load(f)


def stamp_of(version, directory, outputs):
    sizes = {}
    for output in outputs:
        path = os.path.join(directory, output)
        sizes[output] = os.path.getsize(path) if os.path.exists(path) else None
    # The events the expectations are computed for are part of the stamp too.
    with open(os.path.join(directory, "event.json"), "rb") as f:
        event_digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return {"version": version, "sizes": sizes, "event": event_digest}


def up_to_date(version, directory, outputs):
    try:
        with open(os.path.join(directory, STAMP)) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        return False
    current = stamp_of(version, directory, outputs)
    return recorded == current and None not in current["sizes"].values()


def import_from(directory, module):
    """Imports `module` from a function's own directory (its code, as the function imports it)."""
    sys.path.insert(0, directory)
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(directory)


_torch_configured = []


def set_torch_single_threaded():
    """Imports torch with one intra-op and one inter-op thread. (A second call of
    set_num_interop_threads aborts the process, so it is made once.)"""
    import torch
    if not _torch_configured:
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        _torch_configured.append(True)
    return torch


# --------------------------------------------------------------------------- json_serdes

def json_document():
    """The ~100 KB document both json_serdes functions read, as written (indented)."""
    rng = random.Random(20250520)
    words = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
             "november oscar papa quebec romeo sierra tango uniform victor whiskey xray "
             "yankee zulu").split()
    countries = ["DE", "FR", "US", "JP", "BR", "IN", "ZA", "CA", "AU", "SE"]

    def record(i):
        return {
            "id": i,
            "guid": "%032x" % rng.getrandbits(128),
            "active": rng.random() < 0.7,
            "name": " ".join(rng.choice(words).capitalize() for _ in range(2)),
            "email": "%s.%d@example.com" % (rng.choice(words), rng.randrange(1000)),
            "balance": round(rng.uniform(-500, 10000), 2),
            "age": rng.randrange(18, 90),
            "tags": rng.sample(words, rng.randrange(1, 6)),
            "address": {"street": "%d %s Street" % (rng.randrange(1, 999), rng.choice(words).capitalize()),
                        "city": rng.choice(words).capitalize() + "ville",
                        "country": rng.choice(countries),
                        "geo": [round(rng.uniform(-90, 90), 6), round(rng.uniform(-180, 180), 6)]},
            "scores": [rng.randrange(100) for _ in range(rng.randrange(3, 10))],
            "about": " ".join(rng.choice(words) for _ in range(rng.randrange(5, 25))),
            "friends": [{"id": rng.randrange(10000), "name": rng.choice(words)} for _ in range(rng.randrange(0, 4))],
        }

    document = {"generated": "spice benchmark input", "seed": 20250520, "records": []}
    i = 0
    while len(json.dumps(document, indent=1)) < 100 * 1024 - 600:  # ~100 KB as written
        document["records"].append(record(i))
        i += 1
    return json.dumps(document, indent=1).encode(), len(document["records"])


@generator("json_serdes", "2", ["input.json", "expected.json"])
def json_serdes(directory):
    data, records = json_document()
    write_atomically(os.path.join(directory, "input.json"), data)
    canonical = json.dumps(json.loads(data)).encode()
    write_json(os.path.join(directory, "expected.json"),
               {"size": len(data), "records": records,
                "dumps_sha256": hashlib.sha256(canonical).hexdigest()})


@generator("json_serdes_node", "1", ["input.json", "expected.json"])
def json_serdes_node(directory):
    """The same document; JSON.stringify's text differs from json.dumps' (no spaces, 3 for 3.0),
    so its digest is taken with Debian's node, as the function computes it."""
    data, records = json_document()
    write_atomically(os.path.join(directory, "input.json"), data)
    digest = subprocess.run(
        ["/usr/bin/node", "-e", "const t = JSON.stringify(JSON.parse(require('fs').readFileSync(0)));"
         "process.stdout.write(require('crypto').createHash('sha256').update(t).digest('hex'))"],
        input=data, capture_output=True, check=True).stdout.decode()
    write_json(os.path.join(directory, "expected.json"),
               {"size": len(data), "records": records, "stringify_sha256": digest})


# --------------------------------------------------------------------------- image_rotate, cnn_serving

def synthetic_jpeg(path, size, seed, quality=90):
    """A deterministic picture: a colour gradient, shapes and a little noise; saved as JPEG."""
    from PIL import Image, ImageDraw
    rng = random.Random(seed)
    w, h = size
    image = Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                                Image.linear_gradient("L").rotate(90).resize(size),
                                Image.radial_gradient("L").resize(size)))
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(10, w // 3), y0 + rng.randrange(10, h // 3)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour, outline=(0, 0, 0))
    pixels = image.load()
    for _ in range(w * h // 50):
        x, y = rng.randrange(w), rng.randrange(h)
        pixels[x, y] = tuple(rng.randrange(256) for _ in range(3))
    temp = path + ".tmp"
    image.save(temp, format="JPEG", quality=quality)
    os.replace(temp, path)


@generator("image_rotate", "1", ["input.jpg"])
def image_rotate(directory):
    synthetic_jpeg(os.path.join(directory, "input.jpg"), (640, 480), seed=7)


@generator("image_rotate_node", "1", ["input.jpg"])
def image_rotate_node(directory):
    synthetic_jpeg(os.path.join(directory, "input.jpg"), (640, 480), seed=7)


@generator("cnn_serving", "1", ["model.pt", "input.jpg", "expected.json"])
def cnn_serving(directory):
    torch = set_torch_single_threaded()
    squeeze = import_from(directory, "squeeze")
    image_path = os.path.join(directory, "input.jpg")
    synthetic_jpeg(image_path, (320, 240), seed=11)
    torch.manual_seed(1234)
    model = squeeze.build_model()
    model_path = os.path.join(directory, "model.pt")
    torch.save(model.state_dict(), model_path + ".tmp")
    os.replace(model_path + ".tmp", model_path)
    # The expectation comes from the saved file, loaded the way the handler loads it.
    model = squeeze.load_model(model_path)
    event = read_event("cnn_serving")
    scores = squeeze.classify(model, os.path.join(directory, event["image"]))
    top5 = torch.topk(scores, 5)
    write_json(os.path.join(directory, "expected.json"),
               {"image": event["image"], "top_class": int(top5.indices[0]),
                "top5": [int(i) for i in top5.indices],
                "top5_scores": [float(s) for s in top5.values]})


# --------------------------------------------------------------------------- lr_serving

POSITIVE = ("great excellent amazing wonderful fantastic love loved perfect best brilliant superb "
            "delightful enjoyable recommend happy pleased gorgeous reliable fast sturdy comfortable "
            "beautiful impressive solid smooth").split()
NEGATIVE = ("terrible awful horrible worst bad poor disappointing broken hate hated useless waste "
            "refund slow flimsy cheap ugly annoying defective returned unreliable noisy painful "
            "mediocre overpriced faulty").split()
NEUTRAL = ("the this product phone battery screen camera delivery price quality size color book movie "
           "story service shipping box kitchen laptop headphones shoes it was is and very really "
           "quite after days weeks use i my we our".split())


def synthetic_reviews(count, seed):
    rng = random.Random(seed)
    reviews, labels = [], []
    for _ in range(count):
        positive = rng.random() < 0.5
        own, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
        words = [rng.choice(NEUTRAL) for _ in range(rng.randrange(6, 18))]
        words += [rng.choice(own) for _ in range(rng.randrange(2, 5))]
        if rng.random() < 0.3:
            words.append(rng.choice(other))  # some noise: mixed reviews
        rng.shuffle(words)
        reviews.append(" ".join(words).capitalize() + ".")
        labels.append("positive" if positive else "negative")
    return reviews, labels


@generator("lr_serving", "1", ["model.joblib"])
def lr_serving(directory):
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    reviews, labels = synthetic_reviews(3000, seed=99)
    model = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
                      ("lr", LogisticRegression(C=4.0, max_iter=1000, solver="liblinear"))])
    model.fit(reviews[:2500], labels[:2500])
    accuracy = model.score(reviews[2500:], labels[2500:])
    event = read_event("lr_serving")
    predicted = model.predict([event["review"]])[0]
    if predicted != event["expected_label"] or accuracy < 0.9:
        raise SystemExit("lr_serving: the trained model predicts %r for the benchmark review (expected %r), "
                         "held-out accuracy %.3f" % (predicted, event["expected_label"], accuracy))
    path = os.path.join(directory, "model.joblib")
    joblib.dump(model, path + ".tmp")
    os.replace(path + ".tmp", path)


# --------------------------------------------------------------------------- rnn_serving

SYLLABLES = {
    "English": ["ton", "ley", "ford", "ham", "son", "wood", "ridge", "well", "by", "er", "field", "man"],
    "French": ["eau", "ier", "on", "ette", "ard", "mont", "bois", "lain", "eux", "ault", "in", "ot"],
    "German": ["mann", "berg", "stein", "er", "hof", "baum", "schmidt", "feld", "ler", "rich", "hardt", "el"],
    "Italian": ["ini", "elli", "etti", "ano", "one", "ucci", "ari", "esi", "otto", "ardi", "enzo", "ia"],
    "Japanese": ["moto", "yama", "ka", "shi", "ta", "naka", "mura", "ko", "da", "no", "hara", "saki"],
    "Russian": ["ov", "ev", "sky", "kin", "enko", "ich", "in", "ova", "lov", "rov", "shev", "akov"],
    "Scottish": ["mac", "son", "ray", "gall", "ston", "lach", "ie", "burn", "ross", "ean", "ock", "ald"],
    "Spanish": ["ez", "ado", "ero", "ito", "anda", "illo", "ales", "uez", "ena", "oza", "ido", "ara"],
}


def synthetic_names(seed, per_language=80):
    rng = random.Random(seed)
    names = []
    vowels = "aeiou"
    for language, syllables in sorted(SYLLABLES.items()):
        for _ in range(per_language):
            start = chr(ord("A") + rng.randrange(26))
            body = start + rng.choice(vowels) + "".join(rng.choice(syllables) for _ in range(rng.randrange(1, 3)))
            names.append((language, body[:12]))
    return names


@generator("rnn_serving", "1", ["model.pt", "expected.json"])
def rnn_serving(directory):
    torch = set_torch_single_threaded()
    charrnn = import_from(directory, "charrnn")
    torch.manual_seed(4321)
    categories = sorted(SYLLABLES)
    model = charrnn.CharRNN(len(categories))
    names = synthetic_names(seed=5)
    rng = random.Random(6)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.NLLLoss()
    model.train()
    for _ in range(300):  # a few hundred steps of 16 names: ~10 s on one CPU
        batch = [names[rng.randrange(len(names))] for _ in range(16)]
        optimizer.zero_grad()
        loss = 0
        for language, name in batch:
            inputs, targets = charrnn.training_tensors(categories.index(language), len(categories), name)
            output, _ = model(inputs)
            loss = loss + loss_fn(output, targets)
        (loss / len(batch)).backward()
        optimizer.step()
    path = os.path.join(directory, "model.pt")
    torch.save({"categories": categories, "hidden_size": model.hidden_size,
                "state_dict": model.state_dict()}, path + ".tmp")
    os.replace(path + ".tmp", path)
    # The expectation comes from the saved file, loaded and run the way the handler does.
    model, categories = charrnn.load(path)
    event = read_event("rnn_serving")
    torch.manual_seed(0)
    samples = charrnn.samples(model, categories, event["language"], event["start_letters"])
    write_json(os.path.join(directory, "expected.json"),
               {"language": event["language"], "start_letters": event["start_letters"], "names": samples})


# --------------------------------------------------------------------------- video_processing

@generator("video_processing", "1", ["input.mp4", "expected.json"])
def video_processing(directory):
    path = os.path.join(directory, "input.mp4")
    temp = os.path.join(directory, "input.tmp.mp4")
    # Motion JPEG in MP4: libavcodec decodes it without threads. (OpenCV 4.6 gives every decoder
    # as many threads as there are CPUs, with no setting to change it, and H.264 or MPEG-4 part 2
    # decoding would start them inside each invocation.)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=size=160x120:rate=30", "-frames:v", "30", "-c:v", "mjpeg",
                    "-q:v", "3", "-pix_fmt", "yuvj420p", "-threads", "1", temp], check=True)
    os.replace(temp, path)
    grayscale = import_from(directory, "grayscale")
    frames, digest, _ = grayscale.grayscale_frames(path)
    write_json(os.path.join(directory, "expected.json"), {"frames": frames, "gray_sha256": digest,
                                                          "width": 160, "height": 120})


# --------------------------------------------------------------------------- main

def main(names):
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        raise SystemExit("generate_inputs: no generator for %s (known: %s)" % (unknown, sorted(GENERATORS)))
    for name in names or sorted(GENERATORS):
        version, outputs, fn = GENERATORS[name]
        directory = function_dir(name)
        if up_to_date(version, directory, outputs):
            continue
        started = time.monotonic()
        stamp_path = os.path.join(directory, STAMP)
        if os.path.exists(stamp_path):
            os.remove(stamp_path)
        fn(directory)
        write_json(stamp_path, stamp_of(version, directory, outputs))
        print("generate_inputs: %s (%s) in %.1f s" % (name, ", ".join(outputs), time.monotonic() - started),
              file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
