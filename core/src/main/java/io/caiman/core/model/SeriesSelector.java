package io.caiman.core.model;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Prometheus series selector: {@code http_requests_total{job="api",code=~"5.."}}, {@code {__name__=~"up|go_.*"}}.
 * Matchers {@code =}, {@code !=}, {@code =~} and {@code !~}; regular expressions are anchored at both ends as in
 * Prometheus; a label a series does not have matches as the empty string. Label values may be quoted with
 * {@code "}, {@code '} or a backtick, with Go's escapes inside the first two.
 *
 * <p>Written by hand because no maintained Java library parses PromQL; only the selector part of the
 * language is needed. Regular expressions are RE2's, as in Prometheus, through RE2/J (Google's port): the same
 * syntax ({@code [[:digit:]]} is a class of digits, not of the letters in it; no look-around or back-references,
 * which are refused as Prometheus refuses them) and matching in time linear in the value, so a query's expression
 * cannot make a processor backtrack for minutes.
 */
public final class SeriesSelector {

    /** One matcher of a selector; {@code regex} is null for {@code =} and {@code !=}. */
    public record Matcher(String label, Op op, String value, Regex regex) {

        boolean matches(String actual) {
            String v = actual == null ? "" : actual;
            return switch (op) {
                case EQUAL -> v.equals(value);
                case NOT_EQUAL -> !v.equals(value);
                case REGEX -> regex.matches(v);
                case NOT_REGEX -> !regex.matches(v);
            };
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder(label).append(op.text).append('"');
            SeriesKey.escape(out, value);
            return out.append('"').toString();
        }
    }

    /**
     * An anchored regular expression, matched as RE2 matches it. The shapes selectors mostly take are matched
     * without the engine, as Prometheus' own matcher does: a literal ({@code api}), a literal start ({@code http_.*}),
     * end ({@code .*_total}) or part ({@code .*err.*}), and an alternation of literals ({@code api|db}); for the
     * rest, a value that lacks the expression's literal start is refused before the engine. RE2/J alone is 2 to 20
     * times slower than {@code java.util.regex} on such short values (about 0.8 µs for {@code http_.*}), which a
     * replay with {@code --match} would pay on every record (bench/RESULTS.md, SelectorBenchmark).
     */
    public static final class Regex {

        private enum Shape { LITERAL, PREFIX, SUFFIX, CONTAINS, ONE_OF, ENGINE }

        private static final String META = "\\.+*?()|[]{}^$";

        private final Pattern pattern;
        private final Shape shape;
        private final String literal;
        private final java.util.Set<String> literals;
        /** What every match starts with ({@link #literalPrefix}): a value without it is refused before the engine. */
        private final String start;

        private Regex(String expression) {
            this.pattern = Pattern.compile("(?:" + expression + ")", Pattern.DOTALL);
            boolean any = expression.startsWith(".*");
            boolean trailing = expression.length() >= (any ? 4 : 2) && expression.endsWith(".*")
                    && !expression.endsWith("\\.*");
            String middle = expression.substring(any ? 2 : 0, trailing ? expression.length() - 2 : expression.length());
            Shape s = Shape.ENGINE;
            java.util.Set<String> set = null;
            if (isLiteral(middle)) {
                s = any && trailing ? Shape.CONTAINS : any ? Shape.SUFFIX : trailing ? Shape.PREFIX : Shape.LITERAL;
            } else if (!any && !trailing && !middle.isEmpty()) {
                String[] parts = middle.split("\\|", -1);
                if (java.util.Arrays.stream(parts).allMatch(Regex::isLiteral)) {
                    s = Shape.ONE_OF;
                    set = java.util.Set.of(java.util.Arrays.stream(parts).distinct().toArray(String[]::new));
                }
            }
            this.shape = s;
            this.literal = middle;
            this.literals = set;
            this.start = literalPrefix(expression);
        }

        private static boolean isLiteral(String text) {
            for (int i = 0; i < text.length(); i++) {
                if (META.indexOf(text.charAt(i)) >= 0) {
                    return false;
                }
            }
            return true;
        }

        /** The expression as RE2/J compiled it, anchored: {@code (?:expression)}, {@code .} matching a newline. */
        public Pattern pattern() {
            return pattern;
        }

        /** Whether all of {@code value} matches. */
        public boolean matches(String value) {
            return switch (shape) {
                case LITERAL -> value.equals(literal);
                case PREFIX -> value.startsWith(literal);
                case SUFFIX -> value.endsWith(literal);
                case CONTAINS -> value.contains(literal);
                case ONE_OF -> literals.contains(value);
                case ENGINE -> value.startsWith(start) && pattern.matches(value);
            };
        }
    }

    /** A matcher's operator. */
    public enum Op {
        EQUAL("="), NOT_EQUAL("!="), REGEX("=~"), NOT_REGEX("!~");

        final String text;

        Op(String text) {
            this.text = text;
        }
    }

    private final String text;
    private final List<Matcher> matchers;
    /** Per matcher, for {@link #matches(KeyLayout)}: its label's name as bytes, {@code null} for {@code __name__}. */
    private final byte[][] labelBytes;
    /**
     * Per matcher: its value as a key writes it (escaped in a label's value, as it is in a metric name), for
     * {@code =} and {@code !=}.
     */
    private final byte[][] valueBytes;

    private SeriesSelector(String text, List<Matcher> matchers) {
        this.text = text;
        this.matchers = List.copyOf(matchers);
        this.labelBytes = new byte[matchers.size()][];
        this.valueBytes = new byte[matchers.size()][];
        for (int i = 0; i < matchers.size(); i++) {
            Matcher m = matchers.get(i);
            boolean name = m.label.equals("__name__");
            labelBytes[i] = name ? null : m.label.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            StringBuilder value = new StringBuilder();
            if (name) {
                value.append(m.value);
            } else {
                SeriesKey.escape(value, m.value);
            }
            valueBytes[i] = value.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    public List<Matcher> matchers() {
        return matchers;
    }

    /** Whether the series of {@code key} (its metric name as {@code __name__}, and its labels) is selected. */
    public boolean matches(SeriesKey key) {
        for (Matcher m : matchers) {
            String actual = m.label.equals("__name__") ? key.name() : key.labels().get(m.label);
            if (!m.matches(actual)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the series of the key {@code key} has read is selected: the same answer as {@link #matches(SeriesKey)}
     * on the parsed key, from the key's bytes. A key's values are escaped, and escaping maps distinct values to
     * distinct bytes, so {@code =} and {@code !=} compare the bytes; a regular expression gets the value unescaped.
     */
    public boolean matches(KeyLayout key) {
        byte[] k = key.key();
        for (int i = 0; i < matchers.size(); i++) {
            Matcher m = matchers.get(i);
            int from;
            int to;
            int label = -1;
            if (labelBytes[i] == null) {
                from = key.nameStart();
                to = key.nameEnd();
            } else {
                label = key.find(labelBytes[i]);
                if (label < 0) {
                    if (!m.matches(null)) {
                        return false;
                    }
                    continue;
                }
                from = key.valueStart(label);
                to = key.valueEnd(label);
            }
            boolean selected = switch (m.op) {
                case EQUAL -> java.util.Arrays.equals(k, from, to, valueBytes[i], 0, valueBytes[i].length);
                case NOT_EQUAL -> !java.util.Arrays.equals(k, from, to, valueBytes[i], 0, valueBytes[i].length);
                case REGEX, NOT_REGEX -> m.matches(label < 0 ? key.name() : key.value(label));
            };
            if (!selected) {
                return false;
            }
        }
        return true;
    }

    /**
     * What the metric name of every series this selector selects starts with, as far as its {@code __name__}
     * matchers tell: the name of an {@code =} matcher ({@link NameBound#exact}), or the literal start of an
     * {@code =~} expression ({@code http_} for {@code http_.*}); {@code null} when they tell nothing. A store kept
     * in the order of series keys reads only that range for the selector.
     */
    public NameBound nameBound() {
        NameBound best = null;
        for (Matcher m : matchers) {
            if (!m.label.equals("__name__")) {
                continue;
            }
            if (m.op == Op.EQUAL) {
                return new NameBound(m.value, true);
            }
            if (m.op == Op.REGEX) {
                String prefix = literalPrefix(m.value);
                if (!prefix.isEmpty() && (best == null || prefix.length() > best.prefix.length())) {
                    best = new NameBound(prefix, false);
                }
            }
        }
        return best;
    }

    /**
     * Every selected name starts with {@code prefix}; with {@code exact}, every selected name is {@code prefix}.
     */
    public record NameBound(String prefix, boolean exact) {

        /** Whether {@code name} is within the bound. */
        public boolean admits(String name) {
            return exact ? name.equals(prefix) : name.startsWith(prefix);
        }
    }

    /**
     * The text every match of the anchored expression {@code regex} starts with: its leading name characters, less
     * the last one when a quantifier that allows none of it follows ({@code ?}, {@code *}, <code>{</code>); empty
     * when an alternation at the top level or a quotation ({@code \Q}) could make a match start otherwise.
     */
    static String literalPrefix(String regex) {
        int i = 0;
        while (i < regex.length() && isNameChar(regex.charAt(i))) {
            i++;
        }
        int end = i;
        // the operators after the letters, and the flag groups among them ((?i), (?-s): no atoms, so an operator
        // after one applies to what is before it): if any can repeat the last letter no times, it is not part of
        // every match (a+* is (a+)*)
        int q = i;
        boolean optional = false;
        while (q < regex.length()) {
            char c = regex.charAt(q);
            if (regex.startsWith("(?", q)) {
                int close = regex.indexOf(')', q);
                if (close < 0 || !regex.substring(q + 2, close).chars().allMatch(f -> Character.isLetter(f) || f == '-')) {
                    break;
                }
                q = close + 1;
            } else if (c == '+') {
                q++;
            } else if (c == '?' || c == '*' || c == '{') {
                optional = true;
                q++;
            } else {
                break;
            }
        }
        if (optional) {
            end--;
        }
        if (end <= 0 || regex.contains("\\Q")) {
            return "";
        }
        int depth = 0;
        for (; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i++; // the escaped character is a literal or a class, never structure
            } else if (c == '[') {
                i = classEnd(regex, i);
                if (i < 0) {
                    return "";
                }
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (--depth < 0) {
                    return ""; // closes the group the expression is put in: what follows may repeat it, or never match
                }
            } else if (c == '|' && depth == 0) {
                return "";
            }
        }
        return regex.substring(0, end);
    }

    /**
     * Where the character class opened at {@code open} closes, read as RE2 reads it: a {@code ^}, then a {@code ]} at
     * the start is a member, as is anything escaped; {@code [:name:]} is a named class within it. {@code -1} when it
     * does not close.
     */
    private static int classEnd(String regex, int open) {
        int j = open + 1;
        if (j < regex.length() && regex.charAt(j) == '^') {
            j++;
        }
        if (j < regex.length() && regex.charAt(j) == ']') {
            j++;
        }
        while (j < regex.length() && regex.charAt(j) != ']') {
            if (regex.charAt(j) == '\\') {
                j += 2;
            } else if (regex.startsWith("[:", j)) {
                int named = regex.indexOf(":]", j + 2);
                if (named < 0) {
                    return -1;
                }
                j = named + 2;
            } else {
                j++;
            }
        }
        return j < regex.length() ? j : -1;
    }

    private static boolean isNameChar(char c) {
        return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /**
     * Parses a selector.
     *
     * @throws IllegalArgumentException naming the column and what was expected, if {@code text} is not a
     *     selector, or if it would select every series (Prometheus refuses those too)
     */
    public static SeriesSelector parse(String text) {
        Parser p = new Parser(text);
        List<Matcher> matchers = new ArrayList<>();
        p.skipSpace();
        if (p.more() && p.peek() != '{') {
            String name = p.identifier(true);
            matchers.add(new Matcher("__name__", Op.EQUAL, name, null));
            p.skipSpace();
        }
        if (p.more()) {
            p.expect('{');
            p.skipSpace();
            while (p.more() && p.peek() != '}') {
                String label = p.identifier(false);
                p.skipSpace();
                Op op = p.op();
                p.skipSpace();
                int valueAt = p.pos;
                String value = p.quoted();
                Regex regex = null;
                if (op == Op.REGEX || op == Op.NOT_REGEX) {
                    try {
                        regex = new Regex(value);
                    } catch (PatternSyntaxException e) {
                        throw p.error(valueAt, "invalid regular expression " + value + ": " + e.getDescription());
                    }
                }
                matchers.add(new Matcher(label, op, value, regex));
                p.skipSpace();
                if (p.more() && p.peek() == ',') {
                    p.pos++;
                    p.skipSpace();
                } else if (p.more() && p.peek() != '}') {
                    throw p.error(p.pos, "expected ',' or '}' after a matcher");
                }
            }
            p.expect('}');
            p.skipSpace();
            if (p.more()) {
                throw p.error(p.pos, "unexpected text after the selector");
            }
        }
        if (matchers.stream().allMatch(m -> m.matches(""))) {
            throw new IllegalArgumentException("selector " + text + " matches every series: it needs a metric name or "
                    + "a matcher that does not match the empty string");
        }
        return new SeriesSelector(text, matchers);
    }

    @Override
    public String toString() {
        return text;
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        boolean more() {
            return pos < s.length();
        }

        char peek() {
            return s.charAt(pos);
        }

        void skipSpace() {
            while (more() && Character.isWhitespace(peek())) {
                pos++;
            }
        }

        void expect(char c) {
            if (!more() || peek() != c) {
                throw error(pos, "expected '" + c + "'");
            }
            pos++;
        }

        String identifier(boolean metric) {
            int start = pos;
            while (more()) {
                char c = peek();
                boolean ok = c == '_' || (metric && c == ':') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                        || (pos > start && c >= '0' && c <= '9');
                if (!ok) {
                    break;
                }
                pos++;
            }
            if (pos == start) {
                throw error(pos, metric ? "expected a metric name or '{'" : "expected a label name");
            }
            return s.substring(start, pos);
        }

        Op op() {
            if (s.startsWith("=~", pos)) {
                pos += 2;
                return Op.REGEX;
            }
            if (s.startsWith("!~", pos)) {
                pos += 2;
                return Op.NOT_REGEX;
            }
            if (s.startsWith("!=", pos)) {
                pos += 2;
                return Op.NOT_EQUAL;
            }
            if (s.startsWith("=", pos)) {
                pos++;
                return Op.EQUAL;
            }
            throw error(pos, "expected one of =, !=, =~, !~");
        }

        String quoted() {
            if (!more() || "\"'`".indexOf(peek()) < 0) {
                throw error(pos, "expected a quoted label value");
            }
            int start = pos;
            char quote = s.charAt(pos++);
            StringBuilder out = new StringBuilder();
            while (more() && peek() != quote) {
                char c = s.charAt(pos++);
                if (c == '\\' && quote != '`') {
                    if (!more()) {
                        break;
                    }
                    char e = s.charAt(pos++);
                    switch (e) {
                        case 'n' -> out.append('\n');
                        case 't' -> out.append('\t');
                        case 'r' -> out.append('\r');
                        case '\\', '"', '\'' -> out.append(e);
                        default -> throw error(pos - 2, "unknown escape \\" + e);
                    }
                } else {
                    out.append(c);
                }
            }
            if (!more()) {
                throw error(start, "unterminated quoted value");
            }
            pos++;
            return out.toString();
        }

        IllegalArgumentException error(int at, String what) {
            return new IllegalArgumentException("selector " + s + ": column " + (at + 1) + ": " + what);
        }
    }
}
