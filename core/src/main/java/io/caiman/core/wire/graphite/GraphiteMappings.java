package io.caiman.core.wire.graphite;

import io.caiman.core.config.SideFiles;
import io.caiman.core.model.Naming;
import io.caiman.error.CaimanException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Rules that turn dotted Graphite paths into a metric name and labels, in the mapping-file format of
 * Prometheus' {@code graphite_exporter}, so an existing file works unchanged:
 *
 * <pre>{@code
 * mappings:
 *   - match: servers.*.cpu.*            # glob: * is one path component (or part of one)
 *     name: server_cpu_seconds
 *     labels: {host: $1, mode: "${2}"}
 *   - match: 'apps\.(\w+)\.requests'     # match_type: regex, anchored
 *     match_type: regex
 *     name: app_requests_total
 *     labels: {app: $1}
 *   - match: debug.*
 *     action: drop                      # never written; counted
 * }</pre>
 *
 * The first rule that matches wins. A path no rule matches keeps Caiman's default translation
 * ({@link Naming#translate}). A file with mistakes is refused with every problem listed.
 */
public final class GraphiteMappings {

    public static final GraphiteMappings NONE = new GraphiteMappings(List.of());

    /** What a rule makes of a path: a name and labels, or a drop. */
    public record Mapped(String name, Map<String, String> labels, boolean drop) {}

    private record Rule(int index, Pattern pattern, String name, Map<String, String> labels, boolean drop) {}

    private static final Pattern REFERENCE = Pattern.compile("\\$(?:\\{(\\d+)\\}|(\\d+))");

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
                } else if (!REFERENCE.matcher(name).find() && !Naming.isValidMetricName(name)) {
                    problems.add(at + ".name: " + Naming.validateMetricName(name));
                }
                labels.keySet().stream().map(Naming::validateLabelName).filter(p -> p != null)
                        .forEach(p -> problems.add(at + ".labels: " + p));
            }
            rules.add(new Rule(i, pattern, name, labels, action.equals("drop")));
        }
        if (!problems.isEmpty()) {
            throw new CaimanException(problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + " in the Graphite mapping file:\n" + String.join("\n", problems));
        }
        return new GraphiteMappings(List.copyOf(rules));
    }

    /** A glob as graphite_exporter reads it: {@code *} stands for any run of characters other than a dot. */
    private static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (re.length() > 0) {
                re.append("([^.]+)");
            }
            re.append(Pattern.quote(part));
        }
        return Pattern.compile(re.toString());
    }

    /** What the first matching rule makes of {@code path}, or {@code null} when none matches. */
    public Mapped map(String path) {
        for (Rule rule : rules) {
            Matcher m = rule.pattern.matcher(path);
            if (!m.matches()) {
                continue;
            }
            if (rule.drop) {
                return new Mapped(null, Map.of(), true);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            rule.labels.forEach((k, v) -> labels.put(k, expand(v, m)));
            return new Mapped(expand(rule.name, m), labels, false);
        }
        return null;
    }

    private static String expand(String template, Matcher m) {
        Matcher ref = REFERENCE.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (ref.find()) {
            int group = Integer.parseInt(ref.group(1) != null ? ref.group(1) : ref.group(2));
            String value = group <= m.groupCount() && m.group(group) != null ? m.group(group) : "";
            ref.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        ref.appendTail(sb);
        return sb.toString();
    }
}
