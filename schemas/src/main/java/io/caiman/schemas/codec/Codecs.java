package io.caiman.schemas.codec;

import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.crawl.LedgerEntry;
import io.caiman.schemas.crawl.TriggeredCrawl;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.SeriesState;
import java.util.List;
import org.apache.avro.Schema;

/** One shared codec per record Caiman writes, and the list of those records for the schema checks. */
public final class Codecs {

    public static final SingleObjectCodec<Sample> SAMPLE = SingleObjectCodec.of(Sample.class);
    public static final SingleObjectCodec<Aggregate> AGGREGATE = SingleObjectCodec.of(Aggregate.class);
    public static final SingleObjectCodec<LedgerEntry> LEDGER_ENTRY = SingleObjectCodec.of(LedgerEntry.class);
    public static final SingleObjectCodec<TriggeredCrawl> TRIGGERED_CRAWL = SingleObjectCodec.of(TriggeredCrawl.class);
    public static final SingleObjectCodec<SeriesState> SERIES_STATE = SingleObjectCodec.of(SeriesState.class);

    private Codecs() {}

    /** The current schema of every record Caiman writes to Kafka. */
    public static List<Schema> currentSchemas() {
        return List.of(SAMPLE.schema(), AGGREGATE.schema(), LEDGER_ENTRY.schema(), TRIGGERED_CRAWL.schema(),
                SERIES_STATE.schema());
    }
}
