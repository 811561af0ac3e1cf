package io.caiman.core.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Checks a {@link ConfigNode} tree against the declarations, collecting every problem. */
final class ConfigBinder {

    /** The values of one block (or one list element), with where each came from. */
    static final class Values {
        final String prefix;
        final Origin origin;
        private final Map<Setting<?>, Object> values = new HashMap<>();
        private final Map<Setting<?>, ConfigNode> nodes = new HashMap<>();

        Values(String prefix, Origin origin) {
            this.prefix = prefix;
            this.origin = origin;
        }

        @SuppressWarnings("unchecked")
        <T> T get(Setting<T> setting) {
            return (T) values.get(setting);
        }

        boolean isSet(Setting<?> setting) {
            return nodes.containsKey(setting);
        }

        /** Where the setting was written, or the block's origin when it was not. */
        Origin originOf(Setting<?> setting) {
            ConfigNode node = nodes.get(setting);
            return node == null ? origin : node.origin();
        }

        String key(Setting<?> setting) {
            return prefix + "." + setting.name();
        }

        ConfigProblem problem(Setting<?> setting, String rule) {
            Object value = get(setting);
            ConfigNode node = nodes.get(setting);
            String shown = node != null ? node.display() : format(setting, value);
            return new ConfigProblem(originOf(setting), key(setting), "was " + shown + " but " + rule);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> String format(Setting<T> setting, Object value) {
        return value == null ? "unset" : setting.type().format((T) value);
    }

    final List<ConfigProblem> problems = new ArrayList<>();

    /** Binds the whole tree: each declared block, unknown top-level keys reported. */
    Map<String, List<Values>> bind(ConfigNode.Mapping root) {
        Map<String, List<Values>> out = new HashMap<>();
        root.entries().forEach((key, node) -> {
            if (CaimanConfigDef.group(key) == null) {
                problems.add(unknown(node, key, CaimanConfigDef.GROUPS.stream().map(SettingGroup::key).toList()));
            }
        });
        for (SettingGroup group : CaimanConfigDef.GROUPS) {
            ConfigNode node = root.entries().get(group.key());
            List<Values> bound = new ArrayList<>();
            if (group.repeated()) {
                if (node instanceof ConfigNode.Sequence) {
                    List<ConfigNode> items = ((ConfigNode.Sequence) node).items();
                    for (int i = 0; i < items.size(); i++) {
                        bindBlock(group, items.get(i), group.key() + "[" + i + "]", bound);
                    }
                } else if (node != null && !isEmptyScalar(node)) {
                    problems.add(ConfigProblem.broken(node, group.key(), "must be a list of mappings"));
                }
            } else if (node == null || isEmptyScalar(node)) {
                bindBlock(group, new ConfigNode.Mapping(root.origin()), group.key(), bound);
            } else {
                bindBlock(group, node, group.key(), bound);
            }
            out.put(group.key(), bound);
        }
        return out;
    }

    private static boolean isEmptyScalar(ConfigNode node) {
        return node instanceof ConfigNode.Scalar && ((ConfigNode.Scalar) node).text().isEmpty();
    }

    private void bindBlock(SettingGroup group, ConfigNode node, String prefix, List<Values> out) {
        if (!(node instanceof ConfigNode.Mapping)) {
            problems.add(ConfigProblem.broken(node, prefix, "must be a mapping of settings"));
            if (group.repeated()) {
                return;
            }
            node = new ConfigNode.Mapping(node.origin()); // go on with defaults so later checks can run
        }
        ConfigNode.Mapping mapping = (ConfigNode.Mapping) node;
        Values values = new Values(prefix, mapping.origin());
        mapping.entries().forEach((name, valueNode) -> {
            Setting<?> setting = group.setting(name);
            if (setting == null) {
                problems.add(unknown(valueNode, prefix + "." + name,
                        group.settings().stream().map(Setting::name).toList()));
            } else {
                read(setting, valueNode, values);
            }
        });
        for (Setting<?> setting : group.settings()) {
            if (!values.isSet(setting)) {
                if (setting.required()) {
                    problems.add(new ConfigProblem(mapping.origin(), values.key(setting), "is missing but is required"));
                } else {
                    values.values.put(setting, setting.defaultValue());
                }
            }
        }
        out.add(values);
    }

    private <T> void read(Setting<T> setting, ConfigNode node, Values values) {
        values.nodes.put(setting, node);
        try {
            T value = setting.type().read(node);
            values.values.put(setting, value);
            String rule = setting.validator().apply(value);
            if (rule != null) {
                problems.add(ConfigProblem.broken(node, values.key(setting), rule));
            }
        } catch (IllegalArgumentException e) {
            values.values.put(setting, setting.defaultValue());
            problems.add(ConfigProblem.broken(node, values.key(setting), e.getMessage()));
        }
    }

    private static ConfigProblem unknown(ConfigNode node, String key, List<String> known) {
        String name = key.substring(key.lastIndexOf('.') + 1);
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int d = distance(name, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        String hint = best != null ? "; did you mean " + best + "?" : "; known here: " + String.join(", ", known);
        return new ConfigProblem(node.origin(), key, "is not a known setting" + hint);
    }

    /** Levenshtein distance, for "did you mean". */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
