package io.caiman.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads Alligator's own configuration syntax for the blocks Caiman shares with it, into the same tree a
 * YAML file gives:
 *
 * <pre>
 * cluster { name repl; type oplog; servers a:9092 b:9092; size 10000; sharding_key __name__; replica_factor 2; }
 * entrypoint { tcp 1111; cluster repl; instance srv1.example.com:1111; }
 * aggregate { elasticsearch http://localhost:9200/ cluster=repl instance=srv1.example.com:1111; }
 * </pre>
 *
 * <p>Each {@code cluster} block becomes an element of {@code clusters} (Alligator's {@code server} is
 * read as {@code servers}); each listener directive of an {@code entrypoint} block ({@code tcp},
 * {@code udp}, {@code http}, with a port or address) becomes an element of {@code entrypoints}, with the
 * block's other directives; each directive of an {@code aggregate} block ({@code <kind> <url>
 * key=value…}) becomes an element of {@code aggregate}, with Alligator's {@code prometheus_metrics} read
 * as {@code prometheus} and {@code blackbox} as {@code http}. Other blocks are problems when loading, and
 * listed as not converted by {@code caiman config convert}.
 *
 * <p>Hand-written because no library reads this format: it is Alligator's own, nginx-like syntax.
 */
final class AlligatorConfigReader {

    private static final List<String> LISTENERS = List.of("tcp", "udp", "http", "unix", "unixgram", "tls");

    private final String source;
    private final List<ConfigProblem> problems;
    private final List<String> skipped = new ArrayList<>();
    private final List<Token> tokens;
    private int pos;

    private AlligatorConfigReader(String text, String source, List<ConfigProblem> problems) {
        this.source = source;
        this.problems = problems;
        this.tokens = tokenize(text);
    }

    /** The blocks Caiman does not read, as {@code "<source>:<line>: <block>"}. */
    static final class Result {
        final ConfigNode.Mapping tree;
        final List<String> skipped;

        Result(ConfigNode.Mapping tree, List<String> skipped) {
            this.tree = tree;
            this.skipped = skipped;
        }
    }

    /**
     * @param lenient list unknown blocks in {@link Result#skipped} instead of reporting them as problems
     */
    static Result read(String text, String source, List<ConfigProblem> problems, boolean lenient) {
        AlligatorConfigReader reader = new AlligatorConfigReader(text, source, problems);
        ConfigNode.Mapping root = reader.parse(lenient);
        return new Result(root, reader.skipped);
    }

    /** Whether {@code text} looks like Alligator's syntax (its first statement opens a block). */
    static boolean looksLikeAlligator(String text) {
        for (String line : text.split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            return t.matches("[A-Za-z_][A-Za-z0-9_]*\\s*\\{.*") || t.matches("[A-Za-z_][A-Za-z0-9_]*(\\s+[^:]+)?;.*");
        }
        return false;
    }

    private ConfigNode.Mapping parse(boolean lenient) {
        Origin rootOrigin = new Origin(source, 1);
        ConfigNode.Mapping root = new ConfigNode.Mapping(rootOrigin);
        ConfigNode.Sequence clusters = new ConfigNode.Sequence(rootOrigin);
        ConfigNode.Sequence entrypoints = new ConfigNode.Sequence(rootOrigin);
        ConfigNode.Sequence aggregates = new ConfigNode.Sequence(rootOrigin);
        while (pos < tokens.size()) {
            Token name = tokens.get(pos++);
            if (name.kind != Kind.WORD) {
                problems.add(new ConfigProblem(origin(name), "", "expected a block name but found '" + name.text + "'"));
                continue;
            }
            if (pos < tokens.size() && tokens.get(pos).kind == Kind.OPEN) {
                pos++;
                List<List<Token>> body = block();
                switch (name.text) {
                    case "cluster":
                        clusters.items().add(cluster(name, body));
                        break;
                    case "entrypoint":
                        entrypoints.items().addAll(entrypoint(name, body));
                        break;
                    case "aggregate":
                        body.forEach(d -> aggregates.items().add(aggregate(d)));
                        break;
                    default:
                        unknown(name, lenient);
                }
            } else {
                directive(); // a top-level directive such as log_level
                unknown(name, lenient);
            }
        }
        if (!clusters.items().isEmpty()) {
            root.entries().put(CaimanConfigDef.CLUSTERS, clusters);
        }
        if (!entrypoints.items().isEmpty()) {
            root.entries().put(CaimanConfigDef.ENTRYPOINTS, entrypoints);
        }
        if (!aggregates.items().isEmpty()) {
            root.entries().put(CaimanConfigDef.AGGREGATE, aggregates);
        }
        return root;
    }

    private void unknown(Token name, boolean lenient) {
        if (lenient) {
            skipped.add(origin(name) + ": " + name.text);
        } else {
            problems.add(new ConfigProblem(origin(name), name.text, "is not a known setting; Caiman reads Alligator's "
                    + "cluster, entrypoint and aggregate blocks (caiman config convert lists what it leaves out)"));
        }
    }

    private ConfigNode cluster(Token name, List<List<Token>> body) {
        ConfigNode.Mapping m = new ConfigNode.Mapping(origin(name));
        for (List<Token> d : body) {
            String key = d.get(0).text.equals("server") ? "servers" : d.get(0).text;
            boolean list = key.equals("servers") || key.equals("sharding_key");
            put(m, key, d, list);
        }
        return m;
    }

    private List<ConfigNode> entrypoint(Token name, List<List<Token>> body) {
        List<List<Token>> listeners = new ArrayList<>();
        ConfigNode.Mapping shared = new ConfigNode.Mapping(origin(name));
        for (List<Token> d : body) {
            if (LISTENERS.contains(d.get(0).text)) {
                listeners.add(d);
            } else {
                put(shared, d.get(0).text, d, false);
            }
        }
        List<ConfigNode> out = new ArrayList<>();
        if (listeners.isEmpty()) {
            out.add(shared);
        }
        for (List<Token> d : listeners) {
            for (int i = 1; i < Math.max(2, d.size()); i++) {
                ConfigNode.Mapping m = new ConfigNode.Mapping(origin(d.get(0)));
                m.entries().put("protocol", new ConfigNode.Scalar(d.get(0).text, origin(d.get(0))));
                if (i < d.size()) {
                    m.entries().put("listen", new ConfigNode.Scalar(d.get(i).text, origin(d.get(i))));
                }
                m.entries().putAll(shared.entries());
                out.add(m);
            }
        }
        return out;
    }

    private ConfigNode aggregate(List<Token> d) {
        ConfigNode.Mapping m = new ConfigNode.Mapping(origin(d.get(0)));
        String kind = d.get(0).text;
        kind = kind.equals("prometheus_metrics") ? "prometheus" : kind.equals("blackbox") ? "http" : kind;
        m.entries().put("kind", new ConfigNode.Scalar(kind, origin(d.get(0))));
        for (int i = 1; i < d.size(); i++) {
            Token t = d.get(i);
            int eq = t.text.indexOf('=');
            if (i == 1 && (eq < 0 || t.text.contains("://"))) {
                m.entries().put("url", new ConfigNode.Scalar(t.text, origin(t)));
            } else if (eq > 0) {
                m.entries().put(t.text.substring(0, eq), new ConfigNode.Scalar(t.text.substring(eq + 1), origin(t)));
            } else {
                problems.add(new ConfigProblem(origin(t), "aggregate", "has '" + t.text + "' where key=value was expected"));
            }
        }
        return m;
    }

    private void put(ConfigNode.Mapping m, String key, List<Token> d, boolean list) {
        Origin o = origin(d.get(0));
        if (m.entries().containsKey(key)) {
            problems.add(new ConfigProblem(o, key, "is given twice in one block"));
            return;
        }
        if (list || d.size() > 2) {
            ConfigNode.Sequence seq = new ConfigNode.Sequence(o);
            d.subList(1, d.size()).forEach(t -> seq.items().add(new ConfigNode.Scalar(t.text, origin(t))));
            m.entries().put(key, seq);
        } else {
            m.entries().put(key, new ConfigNode.Scalar(d.size() > 1 ? d.get(1).text : "", o));
        }
    }

    /** The directives of a block, after its '{', up to and including its '}'. Nested blocks are skipped. */
    private List<List<Token>> block() {
        List<List<Token>> directives = new ArrayList<>();
        while (pos < tokens.size()) {
            Token t = tokens.get(pos);
            if (t.kind == Kind.CLOSE) {
                pos++;
                return directives;
            }
            if (t.kind == Kind.WORD && pos + 1 < tokens.size() && tokens.get(pos + 1).kind == Kind.OPEN) {
                problems.add(new ConfigProblem(origin(t), t.text, "is a nested block, which Caiman does not read"));
                pos += 2;
                block();
                continue;
            }
            List<Token> d = directive();
            if (!d.isEmpty()) {
                directives.add(d);
            }
        }
        problems.add(new ConfigProblem(new Origin(source, tokens.isEmpty() ? 0 : tokens.get(tokens.size() - 1).line), "",
                "a block is not closed: '}' expected before the end of the file"));
        return directives;
    }

    /** Words up to ';' (consumed). */
    private List<Token> directive() {
        List<Token> words = new ArrayList<>();
        while (pos < tokens.size()) {
            Token t = tokens.get(pos);
            if (t.kind == Kind.SEMI) {
                pos++;
                return words;
            }
            if (t.kind != Kind.WORD) {
                problems.add(new ConfigProblem(origin(words.isEmpty() ? t : words.get(0)), words.isEmpty() ? "" : words.get(0).text,
                        "is missing its ';' before '" + t.text + "'"));
                return words;
            }
            words.add(t);
            pos++;
        }
        if (!words.isEmpty()) {
            problems.add(new ConfigProblem(origin(words.get(0)), words.get(0).text, "is missing its ';'"));
        }
        return words;
    }

    private Origin origin(Token t) {
        return new Origin(source, t.line);
    }

    private enum Kind { WORD, OPEN, CLOSE, SEMI }

    private static final class Token {
        final Kind kind;
        final String text;
        final int line;

        Token(Kind kind, String text, int line) {
            this.kind = kind;
            this.text = text;
            this.line = line;
        }
    }

    private static List<Token> tokenize(String text) {
        List<Token> out = new ArrayList<>();
        int line = 1;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '{' || c == '}' || c == ';') {
                out.add(new Token(c == '{' ? Kind.OPEN : c == '}' ? Kind.CLOSE : Kind.SEMI, String.valueOf(c), line));
                i++;
            } else if (c == '"' || c == '\'') {
                int end = text.indexOf(c, i + 1);
                end = end < 0 ? text.length() : end;
                out.add(new Token(Kind.WORD, text.substring(i + 1, end), line));
                i = Math.min(text.length(), end + 1);
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && "{};".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                out.add(new Token(Kind.WORD, text.substring(start, i), line));
            }
        }
        return out;
    }
}
