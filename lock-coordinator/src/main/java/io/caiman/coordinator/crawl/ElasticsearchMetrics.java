package io.caiman.coordinator.crawl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Elasticsearch's cluster health ({@code GET /_cluster/health}) and node stats ({@code GET /_nodes/stats}) as
 * metrics, named as the Prometheus community's elasticsearch_exporter names them, so its dashboards and alerts work
 * on what a crawl writes. Fields an Elasticsearch version does not report are left out, not written as zero.
 */
final class ElasticsearchMetrics {

    static final String HEALTH_PATH = "_cluster/health";
    static final String NODE_STATS_PATH = "_nodes/stats";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COLORS = List.of("green", "yellow", "red");
    private static final List<String> HEALTH_NUMBERS = List.of("number_of_nodes", "number_of_data_nodes",
            "active_primary_shards", "active_shards", "relocating_shards", "initializing_shards", "unassigned_shards",
            "delayed_unassigned_shards", "number_of_pending_tasks", "number_of_in_flight_fetch",
            "task_max_waiting_in_queue_millis", "active_shards_percent_as_number");

    private ElasticsearchMetrics() {}

    /**
     * @throws IllegalArgumentException when a body is not the JSON Elasticsearch answers, saying which
     */
    static List<ParsedSample> of(byte[] health, byte[] nodeStats) {
        List<ParsedSample> out = new ArrayList<>();
        JsonNode h = read(health, HEALTH_PATH);
        String cluster = h.path("cluster_name").asText("");
        if (!h.has("status")) {
            throw new IllegalArgumentException(HEALTH_PATH + " has no status: not an Elasticsearch cluster health answer");
        }
        String status = h.path("status").asText();
        for (String color : COLORS) {
            out.add(gauge("elasticsearch_cluster_health_status", Labels.of(Map.of("cluster", cluster, "color", color)),
                    color.equals(status) ? 1 : 0));
        }
        for (String field : HEALTH_NUMBERS) {
            JsonNode v = h.get(field);
            if (v != null && v.isNumber()) {
                out.add(gauge("elasticsearch_cluster_health_" + field, Labels.of(Map.of("cluster", cluster)), v.asDouble()));
            }
        }
        JsonNode stats = read(nodeStats, NODE_STATS_PATH);
        JsonNode nodes = stats.path("nodes");
        if (!nodes.isObject()) {
            throw new IllegalArgumentException(NODE_STATS_PATH + " has no nodes object: not an Elasticsearch node stats answer");
        }
        String statsCluster = stats.path("cluster_name").asText(cluster);
        for (Map.Entry<String, JsonNode> e : nodes.properties()) {
            node(out, statsCluster, e.getKey(), e.getValue());
        }
        return out;
    }

    private static void node(List<ParsedSample> out, String cluster, String id, JsonNode n) {
        Labels labels = Labels.of(Map.of("cluster", cluster, "name", n.path("name").asText(id),
                "host", n.path("host").asText(n.path("ip").asText("")), "es_node_id", id));
        JsonNode jvm = n.path("jvm");
        add(out, "elasticsearch_jvm_memory_used_bytes", labels, "area", "heap", jvm.at("/mem/heap_used_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_jvm_memory_used_bytes", labels, "area", "non-heap", jvm.at("/mem/non_heap_used_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_jvm_memory_max_bytes", labels, "area", "heap", jvm.at("/mem/heap_max_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_jvm_memory_committed_bytes", labels, "area", "heap", jvm.at("/mem/heap_committed_in_bytes"), MetricType.GAUGE);
        for (Map.Entry<String, JsonNode> gc : jvm.path("gc").path("collectors").properties()) {
            add(out, "elasticsearch_jvm_gc_collection_seconds_count", labels, "gc", gc.getKey(),
                    gc.getValue().get("collection_count"), MetricType.COUNTER);
            JsonNode millis = gc.getValue().get("collection_time_in_millis");
            if (millis != null && millis.isNumber()) {
                out.add(new ParsedSample("elasticsearch_jvm_gc_collection_seconds_sum", with(labels, "gc", gc.getKey()),
                        millis.asDouble() / 1000, null, MetricType.COUNTER, 0));
            }
        }
        JsonNode indices = n.path("indices");
        add(out, "elasticsearch_indices_docs", labels, indices.at("/docs/count"), MetricType.GAUGE);
        add(out, "elasticsearch_indices_docs_deleted", labels, indices.at("/docs/deleted"), MetricType.GAUGE);
        add(out, "elasticsearch_indices_store_size_bytes", labels, indices.at("/store/size_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_indices_indexing_index_total", labels, indices.at("/indexing/index_total"), MetricType.COUNTER);
        seconds(out, "elasticsearch_indices_indexing_index_time_seconds_total", labels, indices.at("/indexing/index_time_in_millis"));
        add(out, "elasticsearch_indices_search_query_total", labels, indices.at("/search/query_total"), MetricType.COUNTER);
        seconds(out, "elasticsearch_indices_search_query_time_seconds", labels, indices.at("/search/query_time_in_millis"));
        add(out, "elasticsearch_indices_segments_count", labels, indices.at("/segments/count"), MetricType.GAUGE);
        add(out, "elasticsearch_process_cpu_percent", labels, n.at("/process/cpu/percent"), MetricType.GAUGE);
        add(out, "elasticsearch_process_open_files_count", labels, n.at("/process/open_file_descriptors"), MetricType.GAUGE);
        add(out, "elasticsearch_os_cpu_percent", labels, n.at("/os/cpu/percent"), MetricType.GAUGE);
        add(out, "elasticsearch_os_load1", labels, n.at("/os/cpu/load_average/1m"), MetricType.GAUGE);
        add(out, "elasticsearch_filesystem_data_available_bytes", labels, n.at("/fs/total/available_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_filesystem_data_free_bytes", labels, n.at("/fs/total/free_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_filesystem_data_size_bytes", labels, n.at("/fs/total/total_in_bytes"), MetricType.GAUGE);
        add(out, "elasticsearch_transport_rx_size_bytes_total", labels, n.at("/transport/rx_size_in_bytes"), MetricType.COUNTER);
        add(out, "elasticsearch_transport_tx_size_bytes_total", labels, n.at("/transport/tx_size_in_bytes"), MetricType.COUNTER);
        for (Map.Entry<String, JsonNode> pool : n.path("thread_pool").properties()) {
            add(out, "elasticsearch_thread_pool_rejected_count", labels, "type", pool.getKey(), pool.getValue().get("rejected"),
                    MetricType.COUNTER);
            add(out, "elasticsearch_thread_pool_queue_count", labels, "type", pool.getKey(), pool.getValue().get("queue"),
                    MetricType.GAUGE);
            add(out, "elasticsearch_thread_pool_active_count", labels, "type", pool.getKey(), pool.getValue().get("active"),
                    MetricType.GAUGE);
        }
        for (Map.Entry<String, JsonNode> breaker : n.path("breakers").properties()) {
            add(out, "elasticsearch_breakers_tripped", labels, "breaker", breaker.getKey(), breaker.getValue().get("tripped"),
                    MetricType.COUNTER);
            add(out, "elasticsearch_breakers_estimated_size_bytes", labels, "breaker", breaker.getKey(),
                    breaker.getValue().get("estimated_size_in_bytes"), MetricType.GAUGE);
        }
    }

    private static JsonNode read(byte[] body, String path) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException(path + " did not answer a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(path + " answered " + TriggerRequest.invalidJson(e));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    private static void add(List<ParsedSample> out, String name, Labels labels, JsonNode v, MetricType type) {
        if (v != null && v.isNumber()) {
            out.add(new ParsedSample(name, labels, v.asDouble(), null, type, 0));
        }
    }

    private static void add(List<ParsedSample> out, String name, Labels labels, String label, String value, JsonNode v,
            MetricType type) {
        add(out, name, with(labels, label, value), v, type);
    }

    private static void seconds(List<ParsedSample> out, String name, Labels labels, JsonNode millis) {
        if (millis != null && millis.isNumber()) {
            out.add(new ParsedSample(name, labels, millis.asDouble() / 1000, null, MetricType.COUNTER, 0));
        }
    }

    private static Labels with(Labels labels, String name, String value) {
        Map<String, String> m = new java.util.HashMap<>();
        labels.forEach(m::put);
        m.put(name, value);
        return Labels.of(m);
    }

    private static ParsedSample gauge(String name, Labels labels, double value) {
        return new ParsedSample(name, labels, value, null, MetricType.GAUGE, 0);
    }
}
