package io.caiman.cli;

import io.caiman.core.config.CaimanConfig;
import io.caiman.gateway.GatewayService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run an ingest gateway: every http entrypoint of the configuration, writing to its oplog.")
final class GatewayCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        CaimanConfig config = options.load();
        GatewayService gateway = new GatewayService(config);
        Running running = new Running(gateway::close);
        gateway.start();
        running.await();
        return 0;
    }
}
