package io.caiman.core.config;

import io.caiman.error.CaimanException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The YAML files a setting points to beside the main configuration (Graphite mappings, the gateway's
 * credentials): read as plain maps and lists, with errors that name the file and what it is for.
 */
public final class SideFiles {

    private SideFiles() {}

    /**
     * @param what what the file is, for errors ("the Graphite mapping file")
     * @throws CaimanException when it cannot be read
     */
    public static String read(Path file, String what) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new CaimanException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The document as maps, lists and scalars (no arbitrary types: SnakeYAML's safe constructor).
     *
     * @param source how errors name the file
     * @throws CaimanException when it is not valid YAML
     */
    public static Object parseYaml(String yaml, String source) {
        try {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        } catch (RuntimeException e) {
            throw new CaimanException(source + ": not valid YAML: " + e.getMessage(), e);
        }
    }
}
