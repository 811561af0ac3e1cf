package io.caiman.core.config;

/**
 * One thing wrong with a configuration, with where it is and what rule it breaks. Its text reads, for
 * example, {@code caiman.yaml:12: clusters[0].replica_factor was 0 but must be at least 1}.
 *
 * @param origin where the offending value (or its enclosing block) was written
 * @param key the full key, e.g. {@code clusters[0].replica_factor}
 * @param message what is wrong, starting after the key
 */
public record ConfigProblem(Origin origin, String key, String message) {

    static ConfigProblem broken(ConfigNode node, String key, String rule) {
        return new ConfigProblem(node.origin(), key, "was " + node.display() + " but " + rule);
    }

    @Override
    public String toString() {
        return origin + ": " + (key.isEmpty() ? "" : key + " ") + message;
    }
}
