package io.caiman.processor.topology;

import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.SeriesState;

/** How one series' state changes with each sample. */
public final class SeriesStates {

    private SeriesStates() {}

    public static SeriesState empty() {
        return SeriesState.newBuilder().setLastValue(Double.NaN).setLastTimestampMs(Long.MIN_VALUE)
                .setSampleCount(0).setMetricType(MetricType.UNKNOWN).build();
    }

    /**
     * Counts the sample and keeps it as the last value when its timestamp is not older than the current last
     * (on a tie, the one consumed later wins, which is the one accepted later).
     */
    public static SeriesState add(SeriesState state, Sample sample) {
        SeriesState.Builder next = SeriesState.newBuilder(state).setSampleCount(state.getSampleCount() + 1);
        if (sample.getTimestampMs() >= state.getLastTimestampMs()) {
            next.setLastValue(sample.getValue()).setLastTimestampMs(sample.getTimestampMs())
                    .setMetricType(sample.getMetricType());
        }
        return next.build();
    }
}
