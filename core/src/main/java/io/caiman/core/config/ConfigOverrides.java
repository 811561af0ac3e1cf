package io.caiman.core.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Applies environment variables and {@code --set key=value} flags on top of a file's tree, before it is
 * checked, so an overridden value is checked like any other and its problems name where it came from.
 *
 * <p>Keys are full keys: {@code clusters[0].replica_factor}, {@code gateway.max_request_bytes},
 * {@code kafka.producer.linger.ms}. The environment variable for a key is {@code CAIMAN_} followed by the
 * key in upper case with {@code .} and {@code [i]} turned into {@code _}: {@code
 * CAIMAN_CLUSTERS_0_REPLICA_FACTOR}; for Kafka properties, dots become underscores: {@code
 * CAIMAN_KAFKA_PRODUCER_LINGER_MS}. A list element one past the end is created, so a whole cluster can be
 * given in the environment.
 */
public final class ConfigOverrides {

    /** Environment variables the launcher itself reads; they are not settings. */
    public static final Set<String> RESERVED_ENV = Set.of("CAIMAN_CONFIG", "CAIMAN_JAVA_OPTS", "CAIMAN_HOME");

    private ConfigOverrides() {}

    /** Applies every {@code CAIMAN_*} variable of {@code env} (sorted, so list elements are created in order). */
    static void applyEnv(ConfigNode.Mapping root, Map<String, String> env, List<ConfigProblem> problems) {
        new TreeMap<>(env).forEach((name, value) -> {
            if (!name.startsWith("CAIMAN_") || RESERVED_ENV.contains(name)) {
                return;
            }
            Origin origin = new Origin("env " + name, 0);
            String key = keyForEnv(name.substring("CAIMAN_".length()));
            if (key == null) {
                problems.add(new ConfigProblem(origin, "", "is not a known setting (see docs/config.md for the "
                        + "environment variable of each setting)"));
            } else {
                apply(root, key, value, origin, problems);
            }
        });
    }

    /** Applies {@code key=value} flags in order. */
    static void applyFlags(ConfigNode.Mapping root, List<String> flags, List<ConfigProblem> problems) {
        for (String flag : flags) {
            Origin origin = new Origin("--set " + flag, 0);
            int eq = flag.indexOf('=');
            if (eq <= 0) {
                problems.add(new ConfigProblem(origin, "", "must be key=value, e.g. clusters[0].replica_factor=3"));
            } else {
                apply(root, flag.substring(0, eq).trim(), flag.substring(eq + 1), origin, problems);
            }
        }
    }

    /** The environment variable name of a key (without list index: {@code CAIMAN_CLUSTERS_<i>_NAME}). */
    public static String envName(SettingGroup group, Setting<?> setting) {
        return "CAIMAN_" + group.key().toUpperCase(Locale.ROOT) + (group.repeated() ? "_<i>_" : "_")
                + setting.name().toUpperCase(Locale.ROOT);
    }

    static String keyForEnv(String rest) {
        for (SettingGroup group : CaimanConfigDef.GROUPS) {
            String g = group.key().toUpperCase(Locale.ROOT) + "_";
            if (!rest.startsWith(g)) {
                continue;
            }
            String after = rest.substring(g.length());
            String index = "";
            if (group.repeated()) {
                int us = after.indexOf('_');
                if (us <= 0 || !after.substring(0, us).chars().allMatch(Character::isDigit)) {
                    return null;
                }
                index = "[" + after.substring(0, us) + "]";
                after = after.substring(us + 1);
            }
            for (Setting<?> s : group.settings()) {
                String name = s.name().toUpperCase(Locale.ROOT);
                if (after.equals(name)) {
                    return group.key() + index + "." + s.name();
                }
                if (s.type() == SettingType.PROPERTIES && after.startsWith(name + "_")) {
                    String property = after.substring(name.length() + 1).toLowerCase(Locale.ROOT).replace('_', '.');
                    return group.key() + index + "." + s.name() + "." + property;
                }
            }
        }
        return null;
    }

    private static void apply(ConfigNode.Mapping root, String key, String value, Origin origin,
            List<ConfigProblem> problems) {
        int dot = key.indexOf('.');
        String head = dot < 0 ? key : key.substring(0, dot);
        int index = -1;
        int bracket = head.indexOf('[');
        if (bracket > 0 && head.endsWith("]")) {
            try {
                index = Integer.parseInt(head.substring(bracket + 1, head.length() - 1));
            } catch (NumberFormatException e) {
                index = -2;
            }
            head = head.substring(0, bracket);
        }
        SettingGroup group = CaimanConfigDef.group(head);
        Setting<?> setting = group == null || dot < 0 ? null : group.setting(settingName(key.substring(dot + 1)));
        if (group == null || setting == null || group.repeated() != (index >= 0) || index < -1) {
            problems.add(new ConfigProblem(origin, key, "is not a known setting"
                    + (group != null && group.repeated() && index < 0 ? " (give the element: " + head + "[0]…)" : "")));
            return;
        }
        ConfigNode.Mapping block = block(root, group, index, origin, key, problems);
        if (block == null) {
            return;
        }
        String rest = key.substring(dot + 1);
        if (setting.type() == SettingType.PROPERTIES && rest.length() > setting.name().length()) {
            ConfigNode existing = block.entries().get(setting.name());
            ConfigNode.Mapping props = existing instanceof ConfigNode.Mapping
                    ? (ConfigNode.Mapping) existing : new ConfigNode.Mapping(origin);
            block.entries().put(setting.name(), props);
            props.entries().put(rest.substring(setting.name().length() + 1), new ConfigNode.Scalar(value, origin));
        } else if (!rest.equals(setting.name())) {
            problems.add(new ConfigProblem(origin, key, "is not a known setting"));
        } else {
            block.entries().put(setting.name(), new ConfigNode.Scalar(value, origin));
        }
    }

    private static String settingName(String rest) {
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private static ConfigNode.Mapping block(ConfigNode.Mapping root, SettingGroup group, int index, Origin origin,
            String key, List<ConfigProblem> problems) {
        ConfigNode node = root.entries().get(group.key());
        if (!group.repeated()) {
            if (!(node instanceof ConfigNode.Mapping)) {
                node = new ConfigNode.Mapping(origin);
                root.entries().put(group.key(), node);
            }
            return (ConfigNode.Mapping) node;
        }
        if (!(node instanceof ConfigNode.Sequence)) {
            node = new ConfigNode.Sequence(origin);
            root.entries().put(group.key(), node);
        }
        List<ConfigNode> items = ((ConfigNode.Sequence) node).items();
        if (index == items.size()) {
            items.add(new ConfigNode.Mapping(origin));
        }
        if (index > items.size() || !(items.get(index) instanceof ConfigNode.Mapping)) {
            problems.add(new ConfigProblem(origin, key, "names element " + index + " but " + group.key() + " has "
                    + items.size() + " (an override may change one or add the next)"));
            return null;
        }
        return (ConfigNode.Mapping) items.get(index);
    }
}
