package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigException;
import io.caiman.core.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every command that reads a configuration shares. */
final class ConfigOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file, YAML or Alligator syntax (default: $CAIMAN_CONFIG, else caiman.yaml).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a setting, e.g. --set clusters[0].replica_factor=3 (repeatable; applied after the "
                    + "file and CAIMAN_* environment variables).")
    List<String> overrides = new ArrayList<>();

    Path file() {
        if (config != null) {
            return config;
        }
        String env = System.getenv("CAIMAN_CONFIG");
        return Path.of(env != null && !env.isEmpty() ? env : "caiman.yaml");
    }

    /**
     * @throws ConfigException with every problem
     */
    CaimanConfig load() {
        return ConfigLoader.load(file(), System.getenv(), overrides);
    }
}
