package io.caiman.core.wire.graphite;

import io.caiman.core.config.SideFiles;
import io.caiman.core.model.Naming;
import io.caiman.error.CaimanException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Rules that turn dotted Graphite paths into a metric name and labels, in the mapping-file format of
 * Prometheus' {@code graphite_exporter}, so an existing file works unchanged:
 *
 * <pre>{@code
 * mappings:
 *   - match: servers.*.cpu.*            # glob: * is one path component (or part of one)
 *     name: server_cpu_seconds
 *     labels: {host: $1, mode: "${2}"}
 *   - match: 'apps\.(\w+)\.requests'     # match_type: regex: RE2, found anywhere in the path
 *     match_type: regex
 *     name: app_requests_total
 *     labels: {app: $1}
 *   - match: debug.*
 *     action: drop                      # never written; counted
 * }</pre>
 *
 * As {@code graphite_exporter} reads it: glob rules are tried first, in the file's order, then regex rules, in the
 * file's order, and the first that matches wins. A glob matches the whole path; a regex (RE2's syntax, Go's
 * {@code regexp}, which graphite_exporter uses: {@code (?P<name>…)}, {@code [[:alpha:]]}) is found anywhere in it
 * unless it anchors itself with {@code ^…$}, and matches in time linear in the path. A glob's templates take
 * {@code $1} and {@code ${1}}; a regex's take Go's {@code Expand} forms: {@code $1}, {@code ${1}}, {@code $name},
 * {@code ${name}}, {@code $$} (a {@code $name} takes the longest run of letters, digits and underscores, so
 * {@code $1x} is the group named {@code 1x}, empty). A path no rule matches keeps Caiman's default translation
 * ({@link Naming#translate}). A file with mistakes is refused with every problem listed.
 */
public final class GraphiteMappings {

    public static final GraphiteMappings NONE = new GraphiteMappings(List.of());

    /** What a rule makes of a path: a name and labels, or a drop. */
    public record Mapped(String name, Map<String, String> labels, boolean drop) {}

    /**
     * A rule, read once at load. A glob whose every {@code *} is a whole path component (all that graphite_exporter's
     * globs allow) is matched by its components, without a regular expression, twice as fast as RE2/J (ParserBenchmark
     * {@code graphiteMapped}); another glob and a regex by their {@code pattern}.
     */
    private record Rule(Pattern pattern, Glob glob, boolean regex, Template name, Map<String, Template> labels,
            boolean drop) {

        /** The path, then each capture, when the rule matches {@code path}; else {@code null}. */
        String[] captures(String path) {
            if (glob != null) {
                return glob.match(path);
            }
            Matcher m = pattern.matcher(path);
            if (!(regex ? m.find() : m.matches())) {
                return null;
            }
            String[] groups = new String[m.groupCount() + 1];
            for (int i = 0; i < groups.length; i++) {
                groups[i] = m.group(i);
            }
            return groups;
        }
    }

    /** A glob of whole components: each is {@code *} (one component of at least one character) or literal. */
    record Glob(String[] components, int stars) {

        /** The glob of {@code text} when each {@code *} in it is a whole component, else {@code null}. */
        static Glob of(String text) {
            String[] parts = text.split("\\.", -1);
            int stars = 0;
            for (String part : parts) {
                if (part.equals("*")) {
                    stars++;
                } else if (part.contains("*")) {
                    return null;
                }
            }
            return new Glob(parts, stars);
        }

        /** The path, then one capture for each {@code *}; {@code null} when the path has other components. */
        String[] match(String path) {
            String[] captures = new String[stars + 1];
            captures[0] = path;
            int from = 0;
            int star = 1;
            for (int i = 0; i < components.length; i++) {
                int dot = path.indexOf('.', from);
                boolean last = i == components.length - 1;
                if (last != (dot < 0)) {
                    return null; // more components, or fewer, than the glob
                }
                int end = last ? path.length() : dot;
                String c = components[i];
                if (c.equals("*")) {
                    if (end == from) {
                        return null;
                    }
                    captures[star++] = path.substring(from, end);
                } else if (end - from != c.length() || !path.startsWith(c, from)) {
                    return null;
                }
                from = end + 1;
            }
            return captures;
        }
    }

    /**
     * A name or label template, read once at load: literal text, each followed by the capture it refers to (its
     * number; -1 for one that does not exist, which is empty).
     */
    record Template(String[] literals, int[] groups) {

        String apply(String[] captures) {
            if (groups.length == 0) {
                return literals[0];
            }
            StringBuilder sb = new StringBuilder(literals[0]);
            for (int i = 0; i < groups.length; i++) {
                int g = groups[i];
                if (g >= 0 && g < captures.length && captures[g] != null) {
                    sb.append(captures[g]);
                }
                sb.append(literals[i + 1]);
            }
            return sb.toString();
        }

        /** A glob's template: {@code $1} and {@code ${1}} are its captures, {@code $0} the path. */
        static Template glob(String text) {
            List<String> literals = new ArrayList<>();
            List<Integer> groups = new ArrayList<>();
            java.util.regex.Matcher ref = REFERENCE.matcher(text);
            int from = 0;
            while (ref.find()) {
                literals.add(text.substring(from, ref.start()));
                groups.add(number(ref.group(1) != null ? ref.group(1) : ref.group(2)));
                from = ref.end();
            }
            literals.add(text.substring(from));
            return of(literals, groups);
        }

        /**
         * A regex's template as Go's {@code Regexp.ExpandString} reads it: {@code $$} is a dollar; {@code $name} and
         * {@code ${name}}, a name being letters, digits and underscores (the longest run after a bare {@code $}), are
         * the capture of that number or name, or nothing when there is none; a {@code $} that starts neither stays.
         */
        static Template go(String text, Pattern pattern) {
            List<String> literals = new ArrayList<>();
            List<Integer> groups = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (c != '$' || i + 1 == text.length()) {
                    literal.append(c);
                    i++;
                    continue;
                }
                if (text.charAt(i + 1) == '$') {
                    literal.append('$');
                    i += 2;
                    continue;
                }
                int from;
                int to;
                int next;
                if (text.charAt(i + 1) == '{') {
                    from = i + 2;
                    to = text.indexOf('}', from);
                    next = to + 1;
                } else {
                    from = i + 1;
                    to = from;
                    while (to < text.length() && isNameChar(text.charAt(to))) {
                        to++;
                    }
                    next = to;
                }
                if (to < 0 || !isName(text, from, to)) {
                    literal.append(c); // not a reference: Go writes the dollar and goes on
                    i++;
                    continue;
                }
                String name = text.substring(from, to);
                Integer named = pattern.namedGroups().get(name);
                literals.add(literal.toString());
                literal.setLength(0);
                groups.add(name.chars().allMatch(Character::isDigit) ? number(name) : named != null ? named : -1);
                i = next;
            }
            literals.add(literal.toString());
            return of(literals, groups);
        }

        private static Template of(List<String> literals, List<Integer> groups) {
            return new Template(literals.toArray(String[]::new), groups.stream().mapToInt(Integer::intValue).toArray());
        }

        /** A capture's number; -1 (none) for one too large to be one. */
        private static int number(String digits) {
            try {
                return Integer.parseInt(digits);
            } catch (NumberFormatException tooLarge) {
                return -1;
            }
        }

        private static boolean isName(String s, int from, int to) {
            if (from >= to) {
                return false;
            }
            for (int i = from; i < to; i++) {
                if (!isNameChar(s.charAt(i))) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isNameChar(char c) {
            return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
    }

    /** A glob's reference to a capture: {@code $1} or {@code ${1}}. */
    private static final java.util.regex.Pattern REFERENCE = java.util.regex.Pattern.compile("\\$(?:\\{(\\d+)\\}|(\\d+))");

    private final List<Rule> rules;

    private GraphiteMappings(List<Rule> rules) {
        this.rules = rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public int size() {
        return rules.size();
    }

    /** Reads a mapping file; {@link #NONE} when {@code file} is null. */
    public static GraphiteMappings load(Path file) {
        if (file == null) {
            return NONE;
        }
        return parse(SideFiles.read(file, "the Graphite mapping file"), file.toString());
    }

    /**
     * @param source how errors name the file
     * @throws CaimanException listing every problem of the file
     */
    public static GraphiteMappings parse(String yaml, String source) {
        Object root = SideFiles.parseYaml(yaml, source);
        List<String> problems = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        Object list = root instanceof Map<?, ?> m ? m.get("mappings") : null;
        if (!(list instanceof List<?> items)) {
            throw new CaimanException(source + ": must be a mapping with a list under 'mappings'");
        }
        for (int i = 0; i < items.size(); i++) {
            String at = source + ": mappings[" + i + "]";
            if (!(items.get(i) instanceof Map<?, ?> item)) {
                problems.add(at + " must be a mapping with match, name and labels");
                continue;
            }
            for (Object key : item.keySet()) {
                if (!List.of("match", "match_type", "name", "labels", "action", "help", "match_metric_type").contains(key)) {
                    problems.add(at + "." + key + " is not a known setting (match, match_type, name, labels, action)");
                }
            }
            String match = item.get("match") instanceof String s ? s : null;
            String type = item.get("match_type") == null ? "glob" : String.valueOf(item.get("match_type"));
            String action = item.get("action") == null ? "map" : String.valueOf(item.get("action"));
            String name = item.get("name") == null ? null : String.valueOf(item.get("name"));
            if (match == null || match.isEmpty()) {
                problems.add(at + ".match is missing");
                continue;
            }
            Pattern pattern;
            try {
                pattern = switch (type) {
                    case "glob" -> glob(match);
                    case "regex" -> Pattern.compile(match);
                    default -> throw new IllegalArgumentException("match_type was " + type + " but must be glob or regex");
                };
            } catch (PatternSyntaxException e) {
                problems.add(at + ".match is not a valid regular expression: " + e.getDescription());
                continue;
            } catch (IllegalArgumentException e) {
                problems.add(at + "." + e.getMessage());
                continue;
            }
            if (!action.equals("map") && !action.equals("drop")) {
                problems.add(at + ".action was " + action + " but must be map or drop");
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (item.get("labels") instanceof Map<?, ?> l) {
                l.forEach((k, v) -> labels.put(String.valueOf(k), String.valueOf(v)));
            } else if (item.get("labels") != null) {
                problems.add(at + ".labels must be a mapping of label names to values");
            }
            if (action.equals("map")) {
                if (name == null || name.isEmpty()) {
                    problems.add(at + ".name is missing");
                } else if (!name.contains("$") && !Naming.isValidMetricName(name)) {
                    problems.add(at + ".name: " + Naming.validateMetricName(name));
                }
                labels.keySet().stream().map(Naming::validateLabelName).filter(p -> p != null)
                        .forEach(p -> problems.add(at + ".labels: " + p));
            }
            boolean regex = type.equals("regex");
            Glob glob = regex ? null : Glob.of(match);
            Map<String, Template> templates = new LinkedHashMap<>();
            labels.forEach((k, v) -> templates.put(k, regex ? Template.go(v, pattern) : Template.glob(v)));
            Template nameTemplate = name == null ? null : regex ? Template.go(name, pattern) : Template.glob(name);
            rules.add(new Rule(glob != null ? null : pattern, glob, regex, nameTemplate, templates,
                    action.equals("drop")));
        }
        // graphite_exporter tries its globs (a state machine) before its regular expressions
        rules.sort(java.util.Comparator.comparing(Rule::regex));
        if (!problems.isEmpty()) {
            throw new CaimanException(problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + " in the Graphite mapping file:\n" + String.join("\n", problems));
        }
        return new GraphiteMappings(List.copyOf(rules));
    }

    /** A glob as graphite_exporter reads it: {@code *} stands for any run of characters other than a dot. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        String[] parts = glob.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                re.append("([^.]+)");
            }
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString());
    }

    /** What the first matching rule makes of {@code path}, or {@code null} when none matches. */
    public Mapped map(String path) {
        for (Rule rule : rules) {
            String[] captures = rule.captures(path);
            if (captures == null) {
                continue;
            }
            if (rule.drop) {
                return new Mapped(null, Map.of(), true);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            rule.labels.forEach((k, v) -> labels.put(k, v.apply(captures)));
            return new Mapped(rule.name.apply(captures), labels, false);
        }
        return null;
    }
}
