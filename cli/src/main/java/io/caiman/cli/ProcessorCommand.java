package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.cli.replay.Bound;
import io.caiman.error.CaimanException;
import io.caiman.processor.ProcessorReset;
import io.caiman.processor.ProcessorService;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "processor", mixinStandardHelpOptions = true,
        description = {"Run a stream processor for the configuration's oplog cluster (processor.cluster).",
            "Start more with the same cluster name to share the partitions. Exits 1 if the processor stops on "
                    + "its own, e.g. on an unreadable oplog record with processor.on_bad_record=fail."})
final class ProcessorCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Option(names = "--reset-to", paramLabel = "WHEN",
            description = {"Before starting, rebuild the aggregate state from the oplog from WHEN on: an RFC 3339 time, "
                    + "a duration ago (2h) or earliest. Refused while any processor of the cluster runs (each is named). "
                    + "Moves the group's offsets, deletes its state changelogs and this host's local state; other hosts' "
                    + "local state is rebuilt when they start."})
    String resetTo;

    @Override
    public Integer call() throws Exception {
        CaimanConfig config = options.load();
        ProcessorService processor = new ProcessorService(config);
        if (resetTo != null) {
            Bound bound = Bound.parse(resetTo, System.currentTimeMillis());
            OffsetSpec start;
            if (bound instanceof Bound.Time t) {
                start = OffsetSpec.forTimestamp(t.epochMs());
            } else if (bound instanceof Bound.Edge e && !e.end()) {
                start = OffsetSpec.earliest();
            } else {
                throw new CaimanException("--reset-to takes a time, a duration ago or earliest, not " + resetTo);
            }
            ProcessorReset.Result reset = processor.resetTo(start);
            System.err.println("caiman processor: reset to " + bound + ": resuming at " + reset.offsets().entrySet().stream()
                    .map(e -> e.getKey().partition() + "=" + e.getValue()).collect(Collectors.joining(",", "offset:", ""))
                    + "; deleted " + (reset.deletedTopics().isEmpty() ? "no state topics" : reset.deletedTopics())
                    + " and this host's local state");
        }
        new Running(processor::close);
        processor.start();
        processor.awaitFailure();
        if (processor.failure() != null) {
            System.err.println("caiman processor: stopped: " + processor.failure().getMessage());
            return 1;
        }
        return 0;
    }
}
