package io.layerprune.internal;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON the core needs (checkpoint metadata, container summaries, export metadata),
 * so that the core depends on no JSON library: a parser and writer of JSON trees, and a mapping
 * of records to trees and back.
 *
 * <p>Trees: {@code Map<String, Object>} (insertion ordered), {@code List<Object>}, {@code String},
 * {@code Long} (integers), {@code Double} (other numbers), {@code Boolean}, {@code null}. The parser
 * also accepts the tokens {@code NaN}, {@code Infinity} and {@code -Infinity}; the writer writes
 * non-finite doubles as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, as
 * Jackson does by default, and reading a double from such a string gives the value back, so files
 * written by earlier versions (Jackson) and by this class read the same.
 *
 * <p>Records map to objects whose keys are the component names, as they are or in snake_case
 * ({@code stepsPerEpoch} becomes {@code steps_per_epoch}, Jackson's SNAKE_CASE); missing keys give
 * null, 0 or false, unknown keys are ignored.
 */
public final class Json {
    private Json() {}

    /** How record component names become keys. */
    public enum Naming {
        AS_IS, SNAKE_CASE;

        String key(String component) {
            if (this == AS_IS) {
                return component;
            }
            StringBuilder sb = new StringBuilder(component.length() + 8);
            for (int i = 0; i < component.length(); i++) {
                char c = component.charAt(i);
                if (Character.isUpperCase(c)) {
                    if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '_') {
                        sb.append('_');
                    }
                    sb.append(Character.toLowerCase(c));
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }
    }

    /** A malformed document or a value of the wrong shape; the message says where. */
    public static final class JsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------- trees <-> text

    /** Parses one JSON value (surrounding white space allowed). */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipSpace();
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return v;
    }

    /** The tree (or any value {@link #toTree} accepts) as compact JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        writeTo(sb, value);
        return sb.toString();
    }

    private static void writeTo(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isFinite(d)) {
                sb.append(v instanceof Float f ? Float.toString(f) : Double.toString(d));
            } else {
                string(sb, Double.toString(d));  // "NaN", "Infinity", "-Infinity"
            }
        } else if (v instanceof Number n) {
            sb.append(n.longValue());
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                writeTo(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeTo(sb, o);
            }
            sb.append(']');
        } else {
            writeTo(sb, toTree(v, Naming.AS_IS));
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        JsonException error(String what) {
            return new JsonException(what + " at character " + pos);
        }

        void skipSpace() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        boolean take(String token) {
            if (s.startsWith(token, pos)) {
                pos += token.length();
                return true;
            }
            return false;
        }

        Object value() {
            if (pos >= s.length()) {
                throw error("unexpected end of the document");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                default:
                    if (take("true")) {
                        return Boolean.TRUE;
                    }
                    if (take("false")) {
                        return Boolean.FALSE;
                    }
                    if (take("null")) {
                        return null;
                    }
                    if (take("NaN")) {
                        return Double.NaN;
                    }
                    if (take("Infinity")) {
                        return Double.POSITIVE_INFINITY;
                    }
                    if (take("-Infinity")) {
                        return Double.NEGATIVE_INFINITY;
                    }
                    return number();
            }
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            skipSpace();
            if (take("}")) {
                return m;
            }
            while (true) {
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    throw error("expected a key");
                }
                String key = string();
                skipSpace();
                if (!take(":")) {
                    throw error("expected ':'");
                }
                skipSpace();
                m.put(key, value());
                skipSpace();
                if (take("}")) {
                    return m;
                }
                if (!take(",")) {
                    throw error("expected ',' or '}'");
                }
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            pos++;
            skipSpace();
            if (take("]")) {
                return l;
            }
            while (true) {
                skipSpace();
                l.add(value());
                skipSpace();
                if (take("]")) {
                    return l;
                }
                if (!take(",")) {
                    throw error("expected ',' or ']'");
                }
            }
        }

        String string() {
            pos++;  // opening quote
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    throw error("unterminated escape");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        Object number() {
            int start = pos;
            boolean integral = true;
            if (pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
                pos++;
            }
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c >= '0' && c <= '9') {
                    pos++;
                } else if (c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+') {
                    integral = false;
                    pos++;
                } else {
                    break;
                }
            }
            String t = s.substring(start, pos);
            if (t.isEmpty() || t.equals("-")) {
                throw error("unexpected character '" + s.charAt(start) + "'");
            }
            try {
                if (integral) {
                    try {
                        return Long.parseLong(t);
                    } catch (NumberFormatException tooLong) {
                        return Double.parseDouble(t);
                    }
                }
                return Double.parseDouble(t);
            } catch (NumberFormatException e) {
                pos = start;
                throw error("bad number '" + t + "'");
            }
        }
    }

    // ---------------------------------------------------------------- values <-> trees

    /** A record, list, array, map or plain value as a tree. */
    public static Object toTree(Object v, Naming naming) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                try {
                    java.lang.reflect.Method acc = c.getAccessor();
                    acc.setAccessible(true);
                    m.put(naming.key(c.getName()), toTree(acc.invoke(r), naming));
                } catch (ReflectiveOperationException ex) {
                    throw new IllegalStateException("could not read " + r.getClass().getName() + "." + c.getName(), ex);
                }
            }
            return m;
        }
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> m = new LinkedHashMap<>();
            map.forEach((k, x) -> m.put(String.valueOf(k), toTree(x, naming)));
            return m;
        }
        if (v instanceof Collection<?> c) {
            List<Object> l = new ArrayList<>(c.size());
            for (Object o : c) {
                l.add(toTree(o, naming));
            }
            return l;
        }
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            List<Object> l = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                l.add(toTree(Array.get(v, i), naming));
            }
            return l;
        }
        throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
    }

    /** A tree (from {@link #parse}) as a value of {@code type}: a record, list, array or plain type. */
    @SuppressWarnings("unchecked")
    public static <T> T fromTree(Object tree, Class<T> type, Naming naming) {
        return (T) convert(tree, type, naming, type.getSimpleName());
    }

    private static Object convert(Object t, Type type, Naming naming, String where) {
        Class<?> raw = rawClass(type);
        if (t == null) {
            if (raw.isPrimitive()) {
                return raw == boolean.class ? false : raw == char.class ? (char) 0 : number(0L, raw, where);
            }
            return null;
        }
        if (raw == Object.class) {
            return t;
        }
        if (raw == String.class) {
            if (t instanceof String s) {
                return s;
            }
            if (t instanceof Number || t instanceof Boolean) {
                return String.valueOf(t);
            }
            throw mismatch(where, "a string", t);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (t instanceof Boolean b) {
                return b;
            }
            throw mismatch(where, "true or false", t);
        }
        if (raw.isPrimitive() || Number.class.isAssignableFrom(raw)) {
            if (t instanceof Number n) {
                return number(n, raw, where);
            }
            if (t instanceof String s && (raw == double.class || raw == Double.class || raw == float.class
                    || raw == Float.class)) {
                try {
                    return number(Double.parseDouble(s), raw, where);
                } catch (NumberFormatException e) {
                    throw mismatch(where, "a number", t);
                }
            }
            throw mismatch(where, "a number", t);
        }
        if (raw.isEnum()) {
            if (t instanceof String s) {
                for (Object c : raw.getEnumConstants()) {
                    if (((Enum<?>) c).name().equals(s)) {
                        return c;
                    }
                }
            }
            throw mismatch(where, "one of the " + raw.getSimpleName() + " names", t);
        }
        if (raw.isRecord()) {
            if (!(t instanceof Map<?, ?> m)) {
                throw mismatch(where, "an object", t);
            }
            RecordComponent[] cs = raw.getRecordComponents();
            Class<?>[] types = new Class<?>[cs.length];
            Object[] args = new Object[cs.length];
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                args[i] = convert(m.get(naming.key(cs[i].getName())), cs[i].getGenericType(), naming,
                        where + "." + naming.key(cs[i].getName()));
            }
            try {
                Constructor<?> k = raw.getDeclaredConstructor(types);
                k.setAccessible(true);
                return k.newInstance(args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new JsonException(where + " is not valid: " + (cause == null ? e : cause.getMessage()));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("could not build a " + raw.getName(), e);
            }
        }
        if (List.class.isAssignableFrom(raw) || Collection.class == raw) {
            if (!(t instanceof List<?> l)) {
                throw mismatch(where, "an array", t);
            }
            Type element = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                out.add(convert(l.get(i), element, naming, where + "[" + i + "]"));
            }
            return out;
        }
        if (raw.isArray()) {
            if (!(t instanceof List<?> l)) {
                throw mismatch(where, "an array", t);
            }
            Type element = type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
            Object out = Array.newInstance(raw.getComponentType(), l.size());
            for (int i = 0; i < l.size(); i++) {
                Array.set(out, i, convert(l.get(i), element, naming, where + "[" + i + "]"));
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            if (!(t instanceof Map<?, ?>)) {
                throw mismatch(where, "an object", t);
            }
            return t;
        }
        throw new IllegalArgumentException("cannot read JSON as a " + raw.getName());
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        if (type instanceof GenericArrayType g) {
            return Array.newInstance(rawClass(g.getGenericComponentType()), 0).getClass();
        }
        return Object.class;
    }

    private static Object number(Number n, Class<?> raw, String where) {
        if (raw == double.class || raw == Double.class) {
            return n.doubleValue();
        }
        if (raw == float.class || raw == Float.class) {
            return n.floatValue();
        }
        if (n instanceof Double d && (d != Math.rint(d) || Double.isInfinite(d))) {
            throw mismatch(where, "an integer", n);
        }
        long v = n.longValue();
        if (raw == long.class || raw == Long.class) {
            return v;
        }
        if (raw == int.class || raw == Integer.class) {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw mismatch(where, "a 32-bit integer", n);
            }
            return (int) v;
        }
        if (raw == short.class || raw == Short.class) {
            return (short) v;
        }
        if (raw == byte.class || raw == Byte.class) {
            return (byte) v;
        }
        return n;
    }

    private static JsonException mismatch(String where, String expected, Object found) {
        String shown = String.valueOf(found);
        if (shown.length() > 40) {
            shown = shown.substring(0, 40) + "...";
        }
        return new JsonException(where + " must be " + expected + ", found " + shown);
    }

    /** The object member {@code key} of a tree, or null. */
    public static Object member(Object tree, String key) {
        return tree instanceof Map<?, ?> m ? m.get(key) : null;
    }
}
