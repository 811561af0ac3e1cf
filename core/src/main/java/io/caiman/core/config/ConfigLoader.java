package io.caiman.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads a {@link CaimanConfig}: reads a file in YAML or in Alligator's syntax (told apart by content),
 * applies environment variables, then {@code --set} flags, then checks everything against
 * {@link CaimanConfigDef}.
 *
 * <pre>{@code
 * CaimanConfig config = ConfigLoader.load(Path.of("caiman.yaml"), System.getenv(), List.of("gateway.ack_timeout=10s"));
 * }</pre>
 *
 * <p>All problems are reported together in one {@link ConfigException}.
 */
public final class ConfigLoader {

    private ConfigLoader() {}

    /**
     * Loads and checks a configuration file with overrides.
     *
     * @param env environment variables; {@code CAIMAN_*} ones override the file
     * @param flags {@code key=value} overrides, applied last
     * @throws ConfigException listing every problem
     */
    public static CaimanConfig load(Path file, Map<String, String> env, List<String> flags) {
        List<ConfigProblem> problems = new ArrayList<>();
        CaimanConfig config = check(file, env, flags, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /**
     * Loads a configuration from text, without overrides.
     *
     * @param source how problems name the text, e.g. a file name
     * @throws ConfigException listing every problem
     */
    public static CaimanConfig parse(String text, String source) {
        return load(text, source, Map.of(), List.of());
    }

    /**
     * Loads a configuration from text with overrides (see {@link #load(Path, Map, List)}).
     *
     * @throws ConfigException listing every problem
     */
    public static CaimanConfig load(String text, String source, Map<String, String> env, List<String> flags) {
        List<ConfigProblem> problems = new ArrayList<>();
        CaimanConfig config = bind(readTree(text, source, problems), env, flags, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** Loads and checks, adding problems to {@code problems} instead of throwing; the result is unusable if any. */
    public static CaimanConfig check(Path file, Map<String, String> env, List<String> flags, List<ConfigProblem> problems) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            problems.add(new ConfigProblem(new Origin(file.toString(), 0), "",
                    "cannot be read: " + e.getClass().getSimpleName() + " " + e.getMessage()));
            return null;
        }
        return bind(readTree(text, file.toString(), problems), env, flags, problems);
    }

    private static CaimanConfig bind(ConfigNode.Mapping tree, Map<String, String> env, List<String> flags,
            List<ConfigProblem> problems) {
        ConfigOverrides.applyEnv(tree, env, problems);
        ConfigOverrides.applyFlags(tree, flags, problems);
        ConfigBinder binder = new ConfigBinder();
        Map<String, List<ConfigBinder.Values>> blocks = binder.bind(tree);
        problems.addAll(binder.problems);
        return CaimanConfig.assemble(blocks, problems);
    }

    static ConfigNode.Mapping readTree(String text, String source, List<ConfigProblem> problems) {
        if (AlligatorConfigReader.looksLikeAlligator(text)) {
            return AlligatorConfigReader.read(text, source, problems, false).tree;
        }
        return YamlConfigReader.read(text, source, problems);
    }

    /**
     * Converts Alligator's syntax to the equivalent Caiman YAML. Blocks Caiman does not read are listed in
     * comments at the top rather than failing the conversion; syntax problems fail it.
     *
     * @throws ConfigException if the text cannot be read as Alligator's syntax
     */
    public static String convertAlligator(String text, String source) {
        List<ConfigProblem> problems = new ArrayList<>();
        AlligatorConfigReader.Result result = AlligatorConfigReader.read(text, source, problems, true);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        StringBuilder out = new StringBuilder();
        out.append("# Converted from ").append(source).append(" by caiman config convert.\n");
        if (result.tree.entries().containsKey(CaimanConfigDef.CLUSTERS)) {
            out.append("# Alligator's servers listed its peer nodes; in Caiman they are the Kafka bootstrap servers\n")
                    .append("# (type oplog) or the ZooKeeper ensemble (type sharedlock): check them.\n");
        }
        for (String skipped : result.skipped) {
            out.append("# not converted (Caiman has no equivalent): ").append(skipped).append('\n');
        }
        return out.append(YamlConfigWriter.write(result.tree)).toString();
    }
}
