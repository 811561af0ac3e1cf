package io.caiman.core.config;

import java.io.StringReader;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** Reads a YAML configuration into a {@link ConfigNode} tree that remembers every node's line. */
final class YamlConfigReader {

    private YamlConfigReader() {}

    static ConfigNode.Mapping read(String text, String source, List<ConfigProblem> problems) {
        Node root;
        try {
            // compose only builds the node tree: no objects are constructed from tags
            root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            problems.add(new ConfigProblem(new Origin(source, line), "", "is not valid YAML: " + e.getProblem()));
            return new ConfigNode.Mapping(new Origin(source, 0));
        } catch (YAMLException e) {
            problems.add(new ConfigProblem(new Origin(source, 0), "", "is not valid YAML: " + e.getMessage()));
            return new ConfigNode.Mapping(new Origin(source, 0));
        }
        if (root == null) {
            return new ConfigNode.Mapping(new Origin(source, 1));
        }
        ConfigNode tree = convert(root, source, "", problems);
        if (!(tree instanceof ConfigNode.Mapping)) {
            problems.add(new ConfigProblem(tree.origin(), "", "the file must be a YAML mapping (clusters:, entrypoints:, …)"));
            return new ConfigNode.Mapping(tree.origin());
        }
        return (ConfigNode.Mapping) tree;
    }

    private static ConfigNode convert(Node node, String source, String path, List<ConfigProblem> problems) {
        Origin origin = new Origin(source, node.getStartMark().getLine() + 1);
        if (node instanceof ScalarNode) {
            ScalarNode scalar = (ScalarNode) node;
            return new ConfigNode.Scalar(Tag.NULL.equals(scalar.getTag()) ? "" : scalar.getValue(), origin);
        }
        if (node instanceof SequenceNode) {
            ConfigNode.Sequence seq = new ConfigNode.Sequence(origin);
            List<Node> items = ((SequenceNode) node).getValue();
            for (int i = 0; i < items.size(); i++) {
                seq.items().add(convert(items.get(i), source, path + "[" + i + "]", problems));
            }
            return seq;
        }
        ConfigNode.Mapping mapping = new ConfigNode.Mapping(origin);
        for (NodeTuple tuple : ((MappingNode) node).getValue()) {
            Origin keyOrigin = new Origin(source, tuple.getKeyNode().getStartMark().getLine() + 1);
            if (!(tuple.getKeyNode() instanceof ScalarNode)) {
                problems.add(new ConfigProblem(keyOrigin, path, "has a key that is not a plain name"));
                continue;
            }
            String key = ((ScalarNode) tuple.getKeyNode()).getValue();
            String full = path.isEmpty() ? key : path + "." + key;
            if (mapping.entries().containsKey(key)) {
                problems.add(new ConfigProblem(keyOrigin, full, "is given twice (first at line "
                        + mapping.entries().get(key).origin().line() + ")"));
                continue;
            }
            mapping.entries().put(key, convert(tuple.getValueNode(), source, full, problems));
        }
        return mapping;
    }
}
