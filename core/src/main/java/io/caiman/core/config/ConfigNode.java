package io.caiman.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The syntax tree every configuration source is read into (YAML, Alligator's format, environment
 * variables, flags) before it is checked against the declared settings. Every node knows its
 * {@link Origin}. Scalars keep their text as written.
 */
public abstract class ConfigNode {

    private final Origin origin;

    ConfigNode(Origin origin) {
        this.origin = origin;
    }

    public Origin origin() {
        return origin;
    }

    /** How the node is shown in a problem's "was …". */
    public abstract String display();

    /** A scalar: text as written. */
    public static final class Scalar extends ConfigNode {
        private final String text;

        public Scalar(String text, Origin origin) {
            super(origin);
            this.text = text;
        }

        public String text() {
            return text;
        }

        @Override
        public String display() {
            return text.isEmpty() || text.chars().anyMatch(Character::isWhitespace) ? "'" + text + "'" : text;
        }
    }

    /** A sequence of nodes. */
    public static final class Sequence extends ConfigNode {
        private final List<ConfigNode> items = new ArrayList<>();

        public Sequence(Origin origin) {
            super(origin);
        }

        public List<ConfigNode> items() {
            return items;
        }

        @Override
        public String display() {
            List<String> shown = new ArrayList<>();
            items.forEach(i -> shown.add(i.display()));
            return "[" + String.join(", ", shown) + "]";
        }
    }

    /** A mapping from keys to nodes, in the order written. */
    public static final class Mapping extends ConfigNode {
        private final Map<String, ConfigNode> entries = new LinkedHashMap<>();

        public Mapping(Origin origin) {
            super(origin);
        }

        public Map<String, ConfigNode> entries() {
            return entries;
        }

        @Override
        public String display() {
            return "a mapping";
        }
    }
}
