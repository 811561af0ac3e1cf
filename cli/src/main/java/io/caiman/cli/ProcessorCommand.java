package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.processor.ProcessorService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "processor", mixinStandardHelpOptions = true,
        description = {"Run a stream processor for the configuration's oplog cluster (processor.cluster).",
            "Start more with the same cluster name to share the partitions. Exits 1 if the processor stops on "
                    + "its own, e.g. on an unreadable oplog record with processor.on_bad_record=fail."})
final class ProcessorCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        CaimanConfig config = options.load();
        ProcessorService processor = new ProcessorService(config);
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
