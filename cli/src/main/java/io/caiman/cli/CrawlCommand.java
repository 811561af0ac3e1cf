package io.caiman.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.config.SettingType;
import io.caiman.core.wire.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "crawl", mixinStandardHelpOptions = true, description = "Ask crawlers for a crawl.",
        subcommands = {CrawlCommand.Trigger.class})
final class CrawlCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "trigger", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Trigger one crawl of a configured target or of an ad-hoc URL through any crawler "
                    + "(POST /api/v1/crawls), wait for it and print its result. The crawl happens exactly once per "
                    + "idempotency key, however often and to whichever crawlers the command is sent.",
                "Exit status: 0 crawled (up = 1), 1 crawled and failed (up = 0), 2 not done (refused, or not done in "
                        + "--wait-timeout).", ""},
            footer = {"%nExamples:",
                "  caiman crawl trigger --target http://node-1:9100/metrics --key deploy-4711",
                "  caiman crawl trigger --url https://example.com/healthz --kind http --label team=web"})
    static final class Trigger implements Callable<Integer> {

        @Option(names = "--crawler", paramLabel = "URL", defaultValue = "http://127.0.0.1:9500",
                description = "Any crawler of the cluster (its crawler.listen address). Default: ${DEFAULT-VALUE}.")
        URI crawler;

        @ArgGroup(exclusive = true, multiplicity = "1")
        What what;

        static final class What {
            @Option(names = "--target", paramLabel = "ID|URL", required = true,
                    description = "A configured target, by its id or URL.")
            String target;

            @Option(names = "--url", paramLabel = "URL", required = true, description = "An ad-hoc target's URL.")
            String url;
        }

        @Option(names = "--kind", paramLabel = "KIND", description = "An ad-hoc target's kind: prometheus (default), http.")
        String kind;

        @Option(names = "--job", paramLabel = "JOB", description = "An ad-hoc target's job label (default: the kind).")
        String job;

        @Option(names = "--label", paramLabel = "NAME=VALUE", description = "A label for an ad-hoc target's samples "
                + "(repeatable).")
        Map<String, String> labels = new LinkedHashMap<>();

        @Option(names = "--timeout", paramLabel = "DURATION", description = "An ad-hoc target's crawl timeout "
                + "(default 10s).")
        String timeout;

        @Option(names = "--tenant", paramLabel = "TENANT", description = "An ad-hoc target's tenant.")
        String tenant;

        @Option(names = "--key", paramLabel = "KEY", description = "The idempotency key: run the command again with "
                + "the same key to retry without a second crawl. Default: a new random key, printed.")
        String key;

        @Option(names = "--no-wait", description = "Print the crawl id once the crawl is accepted, and return.")
        boolean noWait;

        @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "How long to wait for the crawl to be accepted and done. Default: ${DEFAULT-VALUE}.")
        String waitTimeout;

        private final ObjectMapper json = new ObjectMapper();

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            PrintStream err = System.err;
            if (key == null) {
                key = UUID.randomUUID().toString();
                err.println("idempotency key: " + key);
            }
            long deadline = System.nanoTime() + SettingType.parseDuration(waitTimeout).toNanos();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest post = HttpRequest.newBuilder(crawler.resolve("/api/v1/crawls"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body())).build();
            HttpResponse<String> accepted = sendRetrying(http, post, deadline, err);
            if (accepted == null) {
                return 2;
            }
            if (accepted.statusCode() != 202) {
                err.println("caiman crawl trigger: " + accepted.statusCode() + " from " + crawler + ": " + error(accepted));
                return 2;
            }
            JsonNode data = json.readTree(accepted.body()).path("data");
            String id = data.path("id").asText();
            out.println("crawl " + id + " accepted by " + data.path("accepted_by").asText() + ": " + data.path("target").asText());
            if (noWait) {
                return 0;
            }
            HttpRequest get = HttpRequest.newBuilder(crawler.resolve("/api/v1/crawls/" + id)).timeout(Duration.ofSeconds(30))
                    .build();
            while (!isDone(data)) {
                if (System.nanoTime() > deadline) {
                    err.println("caiman crawl trigger: crawl " + id + " is still " + data.path("state").asText()
                            + " after --wait-timeout " + waitTimeout + "; it stays promised: see GET " + get.uri());
                    return 2;
                }
                Thread.sleep(250);
                HttpResponse<String> r = sendRetrying(http, get, deadline, err);
                if (r == null) {
                    return 2;
                }
                if (r.statusCode() != 200) {
                    err.println("caiman crawl trigger: " + r.statusCode() + " for crawl " + id + ": " + error(r));
                    return 2;
                }
                data = json.readTree(r.body()).path("data");
            }
            boolean up = data.path("up").asInt() == 1;
            out.println("crawl " + id + " " + data.path("state").asText() + " by " + data.path("completed_by").asText()
                    + " at " + data.path("completed_at").asText() + ": up " + (up ? 1 : 0) + ", "
                    + data.path("samples").asLong() + " samples, " + data.path("duration_seconds").asDouble() + " s"
                    + (up ? "" : ", error: " + data.path("error").asText()));
            return up ? 0 : 1;
        }

        private static boolean isDone(JsonNode data) {
            String state = data.path("state").asText();
            return state.equals("succeeded") || state.equals("failed");
        }

        /** Sends, and again after {@code Retry-After} while the answer is 503; {@code null} when the time is up. */
        private HttpResponse<String> sendRetrying(HttpClient http, HttpRequest request, long deadline, PrintStream err)
                throws InterruptedException {
            while (true) {
                HttpResponse<String> r;
                try {
                    r = io.caiman.core.http.ResponseDeadline.send(http, request, HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    err.println("caiman crawl trigger: cannot reach the crawler at " + crawler + ": " + e);
                    return null;
                }
                if (r.statusCode() != 503) {
                    return r;
                }
                long wait = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(1L) * 1000;
                if (System.nanoTime() + wait * 1_000_000 > deadline) {
                    err.println("caiman crawl trigger: still 503 at --wait-timeout " + waitTimeout + ": " + error(r));
                    return null;
                }
                Thread.sleep(wait);
            }
        }

        private String error(HttpResponse<String> r) {
            try {
                JsonNode e = json.readTree(r.body()).path("error");
                return e.isMissingNode() ? r.body().strip() : e.asText();
            } catch (IOException e) {
                return r.body().strip();
            }
        }

        private String body() {
            StringBuilder b = new StringBuilder("{\"idempotency_key\":").append(Json.quote(key));
            if (what.target != null) {
                b.append(",\"target\":").append(Json.quote(what.target));
            } else {
                b.append(",\"url\":").append(Json.quote(what.url));
            }
            field(b, "kind", kind);
            field(b, "job", job);
            field(b, "timeout", timeout);
            field(b, "tenant", tenant);
            if (!labels.isEmpty()) {
                b.append(",\"labels\":{");
                int i = 0;
                for (Map.Entry<String, String> e : labels.entrySet()) {
                    b.append(i++ == 0 ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                }
                b.append('}');
            }
            return b.append('}').toString();
        }

        private static void field(StringBuilder b, String name, String value) {
            if (value != null) {
                b.append(",\"").append(name).append("\":").append(Json.quote(value));
            }
        }
    }
}
