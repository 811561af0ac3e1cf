package io.caiman.coordinator.crawl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.config.AggregateConfig;
import io.caiman.core.config.SettingType;
import io.caiman.core.http.HttpError;
import io.caiman.core.model.Naming;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code POST /api/v1/crawls} body, read and checked:
 *
 * <pre>{@code
 * {"idempotency_key": "deploy-4711", "target": "http://node-1:9100/metrics"}           // a configured target
 * {"idempotency_key": "probe-1", "url": "https://example.com/healthz", "kind": "http",  // an ad-hoc one
 *  "job": "adhoc", "labels": {"team": "web"}, "timeout": "5s", "tenant": "default"}
 * }</pre>
 *
 * The key may come in the {@code Idempotency-Key} header instead. A configured target is named by its id or its URL;
 * it is crawled with its headers. An ad-hoc target never gets headers: they would be kept in the ledger.
 *
 * @param target what to crawl
 * @param configured whether {@code target} is one of the config's
 */
record TriggerRequest(String key, CrawlTarget target, boolean configured) {

    static final long MAX_BODY_BYTES = 64 << 10;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("idempotency_key", "target", "url", "kind", "job", "labels", "timeout",
            "tenant");

    /**
     * @param headerKey the {@code Idempotency-Key} header, or {@code null}
     * @param targets the configured targets of the cluster
     * @param defaultTenant the tenant of an ad-hoc target that names none
     * @param adHoc whether ad-hoc URLs may be crawled ({@code crawler.ad_hoc_crawls})
     * @throws HttpError 400 naming what is wrong, 404 for a configured target that does not exist, 403 for an ad-hoc
     *     URL when they are off
     */
    static TriggerRequest parse(byte[] body, String headerKey, List<CrawlTarget> targets, String defaultTenant,
            boolean adHoc) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "the body is " + invalidJson(e));
        } catch (java.io.IOException e) {
            throw new HttpError(400, "cannot read the body: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new HttpError(400, "the body must be a JSON object with idempotency_key, and target (a configured "
                    + "target) or url (an ad-hoc one)");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new HttpError(400, "unknown field " + name + "; the fields are " + String.join(", ",
                        new java.util.TreeSet<>(FIELDS)));
            }
        }
        String key = text(root, "idempotency_key");
        if (key != null && headerKey != null && !key.equals(headerKey)) {
            throw new HttpError(400, "the Idempotency-Key header (" + headerKey + ") and idempotency_key (" + key
                    + ") differ");
        }
        key = key != null ? key : headerKey;
        if (key == null || key.isBlank()) {
            throw new HttpError(400, "an idempotency key is required (idempotency_key in the body, or the "
                    + "Idempotency-Key header): every request with the same key is the same crawl");
        }
        if (key.length() > 256) {
            throw new HttpError(400, "the idempotency key is longer than 256 characters");
        }
        String target = text(root, "target");
        String url = text(root, "url");
        if ((target == null) == (url == null)) {
            throw new HttpError(400, "give either target (a configured target's id or URL) or url (an ad-hoc "
                    + "target), not " + (target == null ? "neither" : "both"));
        }
        if (target != null) {
            for (String field : List.of("kind", "job", "labels", "timeout", "tenant")) {
                if (root.has(field)) {
                    throw new HttpError(400, field + " is for ad-hoc targets; a configured target is crawled "
                            + "as configured");
                }
            }
            return new TriggerRequest(key, configured(target, targets), true);
        }
        if (!adHoc) {
            throw new HttpError(403, "ad-hoc crawls are off (crawler.ad_hoc_crawls: false); trigger a configured target");
        }
        return new TriggerRequest(key, adHoc(root, url, defaultTenant), false);
    }

    private static CrawlTarget configured(String ref, List<CrawlTarget> targets) {
        List<CrawlTarget> matches = new ArrayList<>();
        for (CrawlTarget t : targets) {
            if (t.id().equals(ref)) {
                return t;
            }
            if (t.url().toString().equals(ref)) {
                matches.add(t);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new HttpError(404, "no configured target has the id or URL " + ref);
        }
        throw new HttpError(400, matches.size() + " configured targets have the URL " + ref + "; name one by its id: "
                + String.join(" | ", matches.stream().map(CrawlTarget::id).toList()));
    }

    private static CrawlTarget adHoc(JsonNode root, String url, String defaultTenant) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new HttpError(400, "url is not a URL: " + e.getMessage());
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new HttpError(400, "url must be an absolute http or https URL with a host: " + url);
        }
        String kind = text(root, "kind");
        kind = kind != null ? kind : "prometheus";
        if (!CrawlTarget.KINDS.contains(kind)) {
            throw new HttpError(400, "kind " + kind + " cannot be crawled; the kinds are " + String.join(", ", CrawlTarget.KINDS));
        }
        String job = text(root, "job");
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode l = root.get("labels");
        if (l != null && !l.isNull()) {
            if (!l.isObject()) {
                throw new HttpError(400, "labels must be an object of label names to string values");
            }
            for (Map.Entry<String, JsonNode> e : l.properties()) {
                String problem = Naming.validateLabelName(e.getKey());
                if (problem != null) {
                    throw new HttpError(400, "labels: " + problem);
                }
                if (!e.getValue().isTextual()) {
                    throw new HttpError(400, "labels: the value of " + e.getKey() + " must be a string");
                }
                if (e.getKey().equals("job") || e.getKey().equals("instance")) {
                    throw new HttpError(400, "labels: " + e.getKey() + " is set by the crawl"
                            + (e.getKey().equals("job") ? "; use the field job" : ""));
                }
                labels.put(e.getKey(), e.getValue().textValue());
            }
        }
        Duration timeout = DEFAULT_TIMEOUT;
        String t = text(root, "timeout");
        if (t != null) {
            try {
                timeout = SettingType.parseDuration(t);
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "timeout " + e.getMessage());
            }
            if (timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new HttpError(400, "timeout must be more than 0 and at most 5m");
            }
        }
        String tenant = text(root, "tenant");
        tenant = tenant != null ? tenant : defaultTenant;
        String problem = Naming.validateTenant(tenant);
        if (problem != null) {
            throw new HttpError(400, problem);
        }
        return CrawlTarget.of(new AggregateConfig(kind, uri, "", null, timeout, timeout, job != null ? job : kind, labels,
                Map.of(), tenant, List.of(), io.caiman.core.config.ClientTls.DEFAULT));
    }

    /** "not valid JSON: what (line l, column c)", without Jackson's note on where the open bracket was. */
    static String invalidJson(JsonProcessingException e) {
        String what = e.getOriginalMessage().replaceFirst(" \\(start marker at .*", "");
        return "not valid JSON: " + what + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                + ", column " + e.getLocation().getColumnNr() + ")");
    }

    /** A string field, or {@code null} when it is absent or null. */
    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new HttpError(400, field + " must be a string");
        }
        return n.textValue();
    }
}
