package io.caiman.core.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * Pins the sharding function. If a test here fails, a change has moved series between partitions: that
 * breaks per-series order for every running deployment. Do not update the expected numbers; revert.
 */
class ShardingFunctionTest {

    static SeriesKey series(String name, String... labels) {
        return SeriesKey.of("default", name, Labels.of(labels));
    }

    @Test
    void shouldKeepItsPinnedOutputs() {
        ShardingFunction byName = new ShardingFunction(List.of("__name__"), 12);
        assertThat(byName.partition(series("up"))).isEqualTo(10);
        assertThat(byName.partition(series("http_requests_total", "job", "api"))).isEqualTo(0);
        assertThat(byName.partition(series("node_cpu_seconds_total", "cpu", "0", "mode", "idle"))).isEqualTo(2);
        assertThat(byName.partition(series("go_goroutines"))).isEqualTo(10);

        ShardingFunction byJobInstance = new ShardingFunction(List.of("job", "instance"), 64);
        assertThat(byJobInstance.partition(series("up", "job", "node", "instance", "10.0.0.1:9100"))).isEqualTo(59);
        assertThat(byJobInstance.partition(series("up", "job", "node", "instance", "10.0.0.2:9100"))).isEqualTo(6);
        assertThat(byJobInstance.partition(series("up"))).isEqualTo(27);
        assertThat(byJobInstance.shardKey(series("x", "job", "a", "instance", "b")))
                .containsExactly('a', 0xFF - 256, 'b');
    }

    @Test
    void shouldMatchKafkasDefaultPartitionerHash() {
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            assertThat(ShardingFunction.murmur2(bytes)).isEqualTo(Utils.murmur2(bytes));
        }
        ShardingFunction f = new ShardingFunction(List.of("__name__"), 7);
        byte[] key = "some_metric".getBytes(StandardCharsets.UTF_8);
        assertThat(f.partitionOf(key)).isEqualTo(Utils.toPositive(Utils.murmur2(key)) % 7);
    }

    @Test
    void shouldPutEverySeriesThatSharesTheShardKeyOnOnePartition() {
        ShardingFunction f = new ShardingFunction(List.of("__name__"), 12);
        int p = f.partition(series("http_requests_total", "job", "a"));
        for (int i = 0; i < 100; i++) {
            assertThat(f.partition(series("http_requests_total", "job", "a" + i, "code", "" + i))).isEqualTo(p);
        }
    }
}
