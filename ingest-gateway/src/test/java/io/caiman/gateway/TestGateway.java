package io.caiman.gateway;

import io.caiman.core.config.ConfigLoader;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A gateway on the shared cluster, writing to an oplog of its own, with what tests ask of it. */
final class TestGateway implements AutoCloseable {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    final String name;
    final GatewayService service;
    final String base;

    private TestGateway(String name, GatewayService service) {
        this.name = name;
        this.service = service;
        this.base = "http://127.0.0.1:" + service.ports().get(0);
    }

    static TestGateway start(String prefix) {
        return start(prefix, "", "");
    }

    /**
     * @param entrypoints YAML list items added after the HTTP entrypoint; {@code $CLUSTER} names the oplog cluster
     * @param more top-level YAML added to the configuration
     */
    static TestGateway start(String prefix, String entrypoints, String more) {
        String name = TestConfigs.uniqueName(prefix);
        String yaml = TestConfigs.oplog(name, 2, "unused")
                .replace("processor:", entrypoints.replace("$CLUSTER", name) + more + "processor:");
        GatewayService service = new GatewayService(ConfigLoader.parse(yaml, "t.yaml"));
        service.start();
        return new TestGateway(name, service);
    }

    int port() {
        return service.ports().get(0);
    }

    /** Every sample on the oplog, by series key, in oplog order. */
    Map<String, List<Sample>> oplog() {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream().collect(
                Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8),
                        Collectors.mapping(r -> Codecs.SAMPLE.decode(r.value()), Collectors.toList())));
    }

    /** The last sample of each series. */
    Map<String, Sample> latest() {
        return oplog().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(e.getValue().size() - 1)));
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        service.close();
    }
}
