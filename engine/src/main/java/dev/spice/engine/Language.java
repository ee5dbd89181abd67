package dev.spice.engine;

import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The languages functions are written in: the manifest's {@code runtime} names that select each
 * (Spice's own and Lambda's), and the form of a handler in it. {@link Runtimes} starts them.
 */
public enum Language {
    PYTHON("python3", "python3.N", Pattern.compile("python3(\\.[0-9]{1,2})?"),
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+"),
            "module.function, as in app.handler"),
    /** Lambda's nodejsN.x names all run on the one node the machine has (Debian's). */
    NODEJS("nodejs", "nodejs18.x, nodejs20.x, nodejs22.x", Pattern.compile("nodejs((18|20|22)\\.x)?"),
            Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-]+(\\.[A-Za-z_$][A-Za-z0-9_$]*)+"),
            "file.export or dir/file.export, as in index.handler"),
    /** One JDK (the engine's, 25) for every Lambda Java runtime name: older bytecode runs on it unchanged. */
    JAVA("java", "java8.al2, java11, java17, java21, java25", Pattern.compile("java(8\\.al2|11|17|21|25)?"),
            Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*(::[A-Za-z_$][A-Za-z0-9_$]*)?"),
            "package.Class::method or package.Class (a RequestHandler or RequestStreamHandler)");

    private final String runtime;
    private final String lambdaNames;
    private final Pattern runtimes;
    private final Pattern handler;
    private final String handlerForm;

    Language(String runtime, String lambdaNames, Pattern runtimes, Pattern handler, String handlerForm) {
        this.runtime = runtime;
        this.lambdaNames = lambdaNames;
        this.runtimes = runtimes;
        this.handler = handler;
        this.handlerForm = handlerForm;
    }

    /** The language a manifest's {@code runtime} selects, if any. */
    public static Optional<Language> of(String runtime) {
        return runtime == null ? Optional.empty()
                : Arrays.stream(values()).filter(l -> l.runtimes.matcher(runtime).matches()).findFirst();
    }

    /** For error messages: every runtime name a manifest may give. */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(l -> l.runtime + " (or Lambda's " + l.lambdaNames + ")")
                .toList());
    }

    public boolean validHandler(String name) {
        return name != null && handler.matcher(name).matches();
    }

    /** How a handler of this language is written, for error messages. */
    public String handlerForm() {
        return handlerForm;
    }
}
