package io.caiman.cli;

import io.caiman.coordinator.crawl.CrawlerService;
import io.caiman.core.config.CaimanConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "crawler", mixinStandardHelpOptions = true,
        description = {"Run a crawler for the configuration's sharedlock cluster (crawler.cluster): it crawls the "
                + "cluster's aggregate targets, each (target, interval slot) exactly once across every crawler of the "
                + "cluster, and writes the samples to the cluster's oplog.",
            "Start more with the same cluster to share the targets; SIGTERM leaves gracefully (crawls under way are "
                    + "committed, leases released). See docs/crawlers.md."})
final class CrawlerCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        CaimanConfig config = options.load();
        CrawlerService crawler = new CrawlerService(config);
        Running running = new Running(crawler::close);
        crawler.start();
        System.err.println("caiman crawler: " + crawler.node() + " running; http on port " + crawler.httpPort());
        running.await();
        return 0;
    }
}
