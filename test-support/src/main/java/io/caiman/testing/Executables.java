package io.caiman.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Programs tests run as real components (Debian's prometheus), found on the PATH. */
public final class Executables {

    private Executables() {}

    /** The executable {@code name} on the PATH, or null (a test then skips, saying how to install it). */
    public static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
