package io.caiman.schemas.codec;

import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.crawl.LedgerEntry;
import io.caiman.schemas.crawl.TriggeredCrawl;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.GroupTotal;
import io.caiman.schemas.state.ReplicaState;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.SeriesState;
import io.caiman.schemas.state.WindowSeries;
import io.caiman.schemas.state.WindowState;
import java.util.List;
import org.apache.avro.Schema;

/** One shared codec per record Caiman writes, and the list of those records for the schema checks. */
public final class Codecs {

    public static final SingleObjectCodec<Sample> SAMPLE = SingleObjectCodec.of(Sample.class);
    public static final SingleObjectCodec<Aggregate> AGGREGATE = SingleObjectCodec.of(Aggregate.class);
    public static final SingleObjectCodec<LedgerEntry> LEDGER_ENTRY = SingleObjectCodec.of(LedgerEntry.class);
    public static final SingleObjectCodec<TriggeredCrawl> TRIGGERED_CRAWL = SingleObjectCodec.of(TriggeredCrawl.class);
    public static final SingleObjectCodec<SeriesState> SERIES_STATE = SingleObjectCodec.of(SeriesState.class);
    public static final SingleObjectCodec<Contribution> CONTRIBUTION = SingleObjectCodec.of(Contribution.class);
    public static final SingleObjectCodec<RuleSeriesState> RULE_SERIES_STATE = SingleObjectCodec.of(RuleSeriesState.class);
    public static final SingleObjectCodec<ReplicaState> REPLICA_STATE = SingleObjectCodec.of(ReplicaState.class);
    public static final SingleObjectCodec<WindowState> WINDOW_STATE = SingleObjectCodec.of(WindowState.class);
    public static final SingleObjectCodec<WindowSeries> WINDOW_SERIES = SingleObjectCodec.of(WindowSeries.class);
    public static final SingleObjectCodec<GroupTotal> GROUP_TOTAL = SingleObjectCodec.of(GroupTotal.class);

    private Codecs() {}

    /** The current schema of every record Caiman writes to Kafka. */
    public static List<Schema> currentSchemas() {
        return List.of(SAMPLE.schema(), AGGREGATE.schema(), LEDGER_ENTRY.schema(), TRIGGERED_CRAWL.schema(),
                SERIES_STATE.schema(), CONTRIBUTION.schema(), RULE_SERIES_STATE.schema(), REPLICA_STATE.schema(),
                WINDOW_STATE.schema(), WINDOW_SERIES.schema(), GROUP_TOTAL.schema());
    }
}
