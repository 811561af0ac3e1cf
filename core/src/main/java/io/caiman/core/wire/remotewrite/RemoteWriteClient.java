package io.caiman.core.wire.remotewrite;

import io.caiman.core.model.Naming;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Posts Prometheus remote-write 1.0 bodies (snappy-compressed {@code WriteRequest}s, from {@link RemoteWriteEncoder})
 * to one URL, as Prometheus' own sender does: a tenant other than {@code default} goes as {@code X-Scope-OrgID}
 * (Mimir, Cortex); 5xx, 429 and connection failures are retried with exponential backoff (100 ms doubling to
 * 10 s, {@code Retry-After} honoured); any other 4xx is {@link Refused}, since the same request cannot succeed.
 * Shared by {@code caiman replay --remote-write} and the processors' push of aggregates.
 */
public final class RemoteWriteClient {

    /** A 4xx other than 429: the server refused the data, and sending it again cannot help. */
    public static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final URI url;
    private final Map<String, String> headers;
    private final String userAgent;
    private final LongConsumer sleeper;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private long requests;
    private long retries;

    /**
     * @param headers extra request headers (e.g. {@code Authorization})
     * @param sleeper how to wait between attempts (tests pass one that does not sleep)
     */
    public RemoteWriteClient(URI url, Map<String, String> headers, String userAgent, LongConsumer sleeper) {
        this.url = url;
        this.headers = Map.copyOf(headers);
        this.userAgent = userAgent;
        this.sleeper = sleeper;
    }

    public URI url() {
        return url;
    }

    /**
     * Sends {@code body}, trying at most {@code attempts} times.
     *
     * @throws Refused if the server refused it with a 4xx other than 429, with its message
     * @throws IOException if it failed {@code attempts} times, naming the last failure
     */
    public void send(String tenant, byte[] body, int attempts) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "snappy")
                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                .header("User-Agent", userAgent)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        if (!tenant.equals(Naming.DEFAULT_TENANT)) {
            request.header("X-Scope-OrgID", tenant);
        }
        long backoff = 100;
        for (int attempt = 1; ; attempt++) {
            String failure;
            long wait = backoff;
            try {
                requests++;
                HttpResponse<String> response = io.caiman.core.http.ResponseDeadline.send(client, request.build(),
                        HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return;
                }
                failure = "answered " + status + ": " + response.body().strip();
                if (status != 429 && status / 100 != 5) {
                    throw new Refused("remote_write " + url + " " + failure + " (not retried: the same request "
                            + "cannot succeed)");
                }
                wait = response.headers().firstValue("Retry-After").map(RemoteWriteClient::seconds)
                        .map(s -> Math.max(s * 1000, 100)).orElse(backoff);
            } catch (ConnectException e) {
                failure = "cannot be reached: " + e.getMessage();
                if (attempts == 1) {
                    throw new IOException("remote_write " + url + " cannot be reached (connection refused or timed out"
                            + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")", e);
                }
            } catch (java.net.http.HttpTimeoutException e) {
                failure = "did not answer within 30 s";
            } catch (IOException e) {
                if (e instanceof Refused) {
                    throw e;
                }
                failure = "failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while sending to " + url);
            }
            if (attempt >= attempts) {
                throw new IOException("remote_write " + url + " " + failure + " (gave up after " + attempt
                        + (attempt == 1 ? " attempt)" : " attempts)"));
            }
            retries++;
            sleeper.accept(Math.min(wait, 10_000));
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    private static Long seconds(String retryAfter) {
        try {
            return Long.parseLong(retryAfter.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Requests sent, retries included. */
    public long requests() {
        return requests;
    }

    /** Requests sent again after a 5xx, 429 or connection failure. */
    public long retries() {
        return retries;
    }
}
