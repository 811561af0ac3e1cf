package io.caiman.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** Writes a {@link ConfigNode} tree as block-style YAML (for {@code caiman config convert}). */
final class YamlConfigWriter {

    private YamlConfigWriter() {}

    static String write(ConfigNode.Mapping tree) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(0);
        options.setPrettyFlow(true);
        return new Yaml(options).dump(plain(tree));
    }

    private static Object plain(ConfigNode node) {
        if (node instanceof ConfigNode.Mapping) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((ConfigNode.Mapping) node).entries().forEach((k, v) -> out.put(k, plain(v)));
            return out;
        }
        if (node instanceof ConfigNode.Sequence) {
            List<Object> out = new ArrayList<>();
            ((ConfigNode.Sequence) node).items().forEach(i -> out.add(plain(i)));
            return out;
        }
        String text = ((ConfigNode.Scalar) node).text();
        return text.matches("-?[0-9]{1,18}") ? (Object) Long.valueOf(text) : text;
    }
}
