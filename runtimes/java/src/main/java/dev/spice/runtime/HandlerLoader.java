package dev.spice.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.type.TypeFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;

/**
 * Resolves Lambda's handler forms: {@code package.Class} (the class implements RequestHandler or
 * RequestStreamHandler) or {@code package.Class::method}. A method may be overloaded; as on
 * Lambda, the one with the most parameters wins, and of two with as many the one taking a Context.
 * An instance method gets one instance of its class, made once with the public no-argument
 * constructor (the class's static initialiser and constructor are the function's init phase).
 */
final class HandlerLoader {
    private HandlerLoader() {}

    /** The handler could not be found or made; the message says why. */
    static final class HandlerException extends Exception {
        HandlerException(String message) {
            super(message);
        }
    }

    static Handler load(String spec, ClassLoader loader) throws Throwable {
        int sep = spec.indexOf("::");
        String className = sep < 0 ? spec : spec.substring(0, sep);
        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            throw new HandlerException("class " + className + " not found in the function's code");
        } catch (ExceptionInInitializerError e) {
            throw e.getCause();                           // the function's own static initialiser failed
        }
        if (!Modifier.isPublic(type.getModifiers())) {
            throw new HandlerException("class " + className + " is not public");
        }
        if (sep >= 0) {
            String name = spec.substring(sep + 2);
            Method m = Arrays.stream(type.getMethods())
                    .filter(c -> c.getName().equals(name) && !c.isBridge() && !c.isSynthetic() && shape(c) > 0)
                    .max(Comparator.comparingInt(HandlerLoader::shape))
                    .orElseThrow(() -> new HandlerException("class " + className + " has no public method " + name
                            + " taking (), (I), (I, Context), (InputStream, OutputStream) or (InputStream, "
                            + "OutputStream, Context)"));
            return of(type, m);
        }
        if (RequestStreamHandler.class.isAssignableFrom(type)) {
            return of(type, type.getMethod("handleRequest", InputStream.class, OutputStream.class, Context.class));
        }
        if (RequestHandler.class.isAssignableFrom(type)) {
            Optional<Method> typed = Arrays.stream(type.getMethods())
                    .filter(c -> c.getName().equals("handleRequest") && !c.isBridge() && c.getParameterCount() == 2
                            && c.getParameterTypes()[1] == Context.class)
                    .findFirst();
            return of(type, typed.orElse(type.getMethod("handleRequest", Object.class, Context.class)));
        }
        throw new HandlerException("class " + className + " implements neither RequestHandler nor "
                + "RequestStreamHandler; name its method as " + className + "::method");
    }

    /**
     * A signature's rank, 0 if it cannot be a handler: more parameters rank higher, and a Context
     * last ranks above the same number of parameters without it.
     */
    private static int shape(Method m) {
        Class<?>[] p = m.getParameterTypes();
        boolean context = p.length > 0 && p[p.length - 1] == Context.class;
        boolean streams = p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class;
        return switch (p.length) {
            case 0 -> 1;
            case 1 -> context ? 0 : 2;
            case 2 -> streams ? 3 : context ? 4 : 0;
            case 3 -> streams && context ? 5 : 0;
            default -> 0;
        };
    }

    private static Handler of(Class<?> type, Method m) throws Throwable {
        Object target = null;
        if (!Modifier.isStatic(m.getModifiers())) {
            try {
                target = type.getConstructor().newInstance();
            } catch (NoSuchMethodException e) {
                throw new HandlerException("class " + type.getName() + " has no public constructor without arguments");
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();                       // the function's constructor failed
            }
        }
        m.setAccessible(true);                            // a public method of a class in an unexported package
        Class<?>[] p = m.getParameterTypes();
        boolean context = p.length > 0 && p[p.length - 1] == Context.class;
        if (p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class) {
            return new Handler.Stream(m, target, context);
        }
        return new Handler.Pojo(m, target, p.length == 0 ? null : inputType(type, m), context);
    }

    /** The event's type, with type variables resolved through the class (RequestHandler<Map<String, Integer>, O>). */
    private static JavaType inputType(Class<?> type, Method m) {
        TypeFactory types = Json.MAPPER.getTypeFactory();
        JavaType owner = types.constructType(type).findSuperType(m.getDeclaringClass());
        return types.resolveMemberType(m.getGenericParameterTypes()[0],
                owner == null ? types.constructType(type).getBindings() : owner.getBindings());
    }
}
