package io.caiman.coordinator.crawl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.config.AggregateConfig;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.SideFiles;
import io.caiman.core.model.Naming;
import io.caiman.error.CaimanException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The targets of the {@code aggregate} entries that name Prometheus {@code file_sd} files instead of a URL, as
 * Prometheus' file service discovery reads them:
 *
 * <pre>{@code
 * [{"targets": ["node-1:9100", "node-2:9100"], "labels": {"env": "prod", "__metrics_path__": "/metrics"}}]
 * }</pre>
 *
 * JSON for {@code .json}, YAML for {@code .yml}/{@code .yaml}; a glob ({@code *}, {@code ?}, {@code [..]}) in the file
 * name. Each file is re-read when its modification time or size changes. A file that cannot be read or is not valid
 * keeps the targets it had (none at first), and the problem is reported once, until it changes.
 */
final class FileSd {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Source(int index, AggregateConfig template) {}

    private record Loaded(FileTime modified, long size, List<CrawlTarget> targets) {}

    private final List<Source> sources = new ArrayList<>();
    /** Per source and file, the last good read. */
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();
    private Set<String> reported = Set.of();

    FileSd(CaimanConfig config, String cluster) {
        for (int i = 0; i < config.aggregates().size(); i++) {
            AggregateConfig a = config.aggregates().get(i);
            if (a.cluster().equals(cluster) && !a.fileSd().isEmpty()) {
                sources.add(new Source(i, a));
            }
        }
    }

    boolean isEmpty() {
        return sources.isEmpty();
    }

    /**
     * Re-reads the files that are new or changed and forgets the ones that are gone.
     *
     * @return the problems found that were not reported by the previous refresh (each says file and place)
     */
    synchronized List<String> refresh() {
        Set<String> problems = new LinkedHashSet<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Source source : sources) {
            for (String pattern : source.template().fileSd()) {
                for (Path file : files(pattern, source, problems)) {
                    String key = source.index() + "\u0000" + file;
                    seen.add(key);
                    read(source, file, key, problems);
                }
            }
        }
        loaded.keySet().retainAll(seen);
        List<String> fresh = problems.stream().filter(p -> !reported.contains(p)).toList();
        reported = problems;
        return fresh;
    }

    /** Every target the files list now, in the order of the config, the files (by name) and their groups. */
    synchronized List<CrawlTarget> targets() {
        List<CrawlTarget> all = new ArrayList<>();
        loaded.values().forEach(l -> all.addAll(l.targets()));
        return all;
    }

    private static List<Path> files(String pattern, Source source, Set<String> problems) {
        Path path = Path.of(pattern);
        String name = Objects.toString(path.getFileName(), "");
        if (!name.matches(".*[*?\\[{].*")) {
            if (!Files.isRegularFile(path)) {
                problems.add("aggregate[" + source.index() + "].file_sd: " + path + " does not exist");
                return List.of();
            }
            return List.of(path);
        }
        Path dir = path.getParent() != null ? path.getParent() : Path.of(".");
        TreeSet<Path> matched = new TreeSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, name)) {
            stream.forEach(p -> {
                if (Files.isRegularFile(p)) {
                    matched.add(p);
                }
            });
        } catch (IOException e) {
            problems.add("aggregate[" + source.index() + "].file_sd: cannot list " + dir + ": " + e.getMessage());
        }
        return List.copyOf(matched);
    }

    private void read(Source source, Path file, String key, Set<String> problems) {
        FileTime modified;
        long size;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            modified = attributes.lastModifiedTime();
            size = attributes.size();
        } catch (IOException e) {
            problems.add("file_sd file " + file + " (aggregate[" + source.index() + "]): cannot read it: " + e.getMessage());
            return;
        }
        Loaded before = loaded.get(key);
        if (before != null && before.modified().equals(modified) && before.size() == size) {
            return;
        }
        try {
            List<CrawlTarget> targets = parse(SideFiles.read(file, "the file_sd file"), file.toString(), source.template());
            loaded.put(key, new Loaded(modified, size, targets));
        } catch (CaimanException | IllegalArgumentException e) {
            problems.add("file_sd file " + file + " (aggregate[" + source.index() + "]): " + e.getMessage()
                    + (before != null ? "; keeping its " + before.targets().size() + " targets from before" : ""));
            if (before != null) { // kept, but not taken as read: it is read again when it changes
                loaded.put(key, new Loaded(modified, size, before.targets()));
            }
        }
    }

    /**
     * The targets a file_sd document lists, each with {@code template}'s settings.
     *
     * @throws IllegalArgumentException naming the group and the target or label that is wrong
     */
    static List<CrawlTarget> parse(String text, String file, AggregateConfig template) {
        Object root;
        if (file.endsWith(".json")) {
            try {
                root = JSON.readValue(text, Object.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(TriggerRequest.invalidJson(e));
            }
        } else if (file.endsWith(".yml") || file.endsWith(".yaml")) {
            root = SideFiles.parseYaml(text, file);
        } else {
            throw new IllegalArgumentException("a file_sd file must be .json, .yml or .yaml, as in Prometheus");
        }
        if (root == null) {
            return List.of(); // an empty file: no targets
        }
        if (!(root instanceof List<?> groups)) {
            throw new IllegalArgumentException("must be a list of groups such as [{targets: [host:port], labels: {…}}]");
        }
        List<CrawlTarget> targets = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            String where = "group " + (g + 1);
            if (!(groups.get(g) instanceof Map<?, ?> group)) {
                throw new IllegalArgumentException(where + ": must be a map with targets and labels");
            }
            for (Object field : group.keySet()) {
                if (!"targets".equals(field) && !"labels".equals(field)) {
                    throw new IllegalArgumentException(where + ": unknown field " + field + " (a group has targets and labels)");
                }
            }
            Map<String, String> labels = new TreeMap<>();
            if (group.get("labels") instanceof Map<?, ?> l) {
                l.forEach((k, v) -> labels.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
            } else if (group.get("labels") != null) {
                throw new IllegalArgumentException(where + ": labels must be a map of names to values");
            }
            String scheme = labels.getOrDefault("__scheme__", "http");
            String path = labels.getOrDefault("__metrics_path__", "/metrics");
            StringBuilder query = new StringBuilder();
            Map<String, String> targetLabels = new LinkedHashMap<>(template.labels());
            String job = template.job();
            for (Map.Entry<String, String> e : labels.entrySet()) {
                String name = e.getKey();
                if (name.startsWith("__param_")) {
                    query.append(query.length() == 0 ? "" : "&").append(name.substring(8)).append('=')
                            .append(java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8));
                } else if (name.startsWith("__")) {
                    continue; // meta labels, as after Prometheus' relabelling
                } else if (name.equals("job")) {
                    job = e.getValue();
                } else if (name.equals("instance")) {
                    throw new IllegalArgumentException(where + ": instance is set from the target's address");
                } else {
                    String problem = Naming.validateLabelName(name);
                    if (problem != null) {
                        throw new IllegalArgumentException(where + ": " + problem);
                    }
                    targetLabels.put(name, e.getValue());
                }
            }
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException(where + ": __scheme__ must be http or https, not " + scheme);
            }
            if (!(group.get("targets") instanceof List<?> addresses)) {
                throw new IllegalArgumentException(where + ": targets must be a list of host:port");
            }
            for (int t = 0; t < addresses.size(); t++) {
                String address = String.valueOf(addresses.get(t));
                URI url;
                try {
                    url = new URI(scheme + "://" + address + path + (query.length() > 0 ? "?" + query : ""));
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException(where + ": target " + address + " is not host:port: " + e.getMessage());
                }
                if (url.getHost() == null || address.contains("/")) {
                    throw new IllegalArgumentException(where + ": target " + address + " is not host:port");
                }
                targets.add(CrawlTarget.of(template.withUrl(url, job, targetLabels)));
            }
        }
        return targets;
    }
}
