package io.caiman.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class SampleBatchEncoderTest {

    @Property(tries = 2000)
    void shouldWriteExactlyTheCodecsBytes(@ForAll double value, @ForAll long timestampMs, @ForAll MetricType type,
            @ForAll SampleKind kind, @ForAll String tenant, @ForAll String protocol, @ForAll String gateway,
            @ForAll long receivedMs, @ForAll String replica) {
        Origin origin = Origin.newBuilder().setProtocol(protocol).setGateway(gateway).setReceivedMs(receivedMs).build();
        Sample sample = Sample.newBuilder().setValue(value).setTimestampMs(timestampMs).setMetricType(type)
                .setTenant(tenant).setOrigin(origin).setKind(kind).setReplica(replica).build();
        SampleBatchEncoder encoder = new SampleBatchEncoder(tenant, origin);
        assertThat(encoder.encode(value, timestampMs, type, kind, replica)).isEqualTo(Codecs.SAMPLE.encode(sample));
        // and again after another replica, so the cached replica bytes are replaced, not reused
        encoder.encode(value, timestampMs, type, kind, replica + "x");
        assertThat(encoder.encode(value, timestampMs, type, kind, replica)).isEqualTo(Codecs.SAMPLE.encode(sample));
    }

    @Test
    void shouldKeepTheStaleMarkersBits() {
        double stale = Double.longBitsToDouble(SingleObjectCodecTest.STALE_NAN_BITS);
        Origin origin = Origin.newBuilder().setProtocol("remote-write").setGateway("gw:9091").setReceivedMs(1).build();
        byte[] bytes = new SampleBatchEncoder("default", origin).encode(stale, 5, MetricType.GAUGE, SampleKind.VALUE);
        assertThat(Double.doubleToRawLongBits(Codecs.SAMPLE.decode(bytes).getValue()))
                .isEqualTo(SingleObjectCodecTest.STALE_NAN_BITS);
    }
}
