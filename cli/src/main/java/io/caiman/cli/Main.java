package io.caiman.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code caiman} command. */
@Command(name = "caiman", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Caiman: a Kafka-backed cluster for metrics.%n",
        subcommands = {DevCommand.class, GatewayCommand.class, ProcessorCommand.class, CrawlerCommand.class, CrawlCommand.class, ReplayCommand.class, OplogCommand.class, ConfigCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"%nRun 'caiman COMMAND --help' for a command's options. Configuration reference: docs/config.md"})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        io.caiman.core.lifecycle.CommonPool.atLeastTwoThreads();
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(Main::report);
    }

    /** Failures reach the user as a message, not a stack trace; configuration problems as their list. */
    private static int report(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
        if (e instanceof io.caiman.core.config.ConfigException) {
            io.caiman.core.config.ConfigException c = (io.caiman.core.config.ConfigException) e;
            System.err.println("caiman " + commandLine.getCommandName() + ": the configuration has "
                    + c.problems().size() + (c.problems().size() == 1 ? " problem:" : " problems:"));
            c.problems().forEach(p -> System.err.println("  " + p));
            return 2;
        }
        System.err.println("caiman " + commandLine.getCommandName() + ": " + e.getMessage());
        if (Boolean.getBoolean("caiman.debug")) {
            e.printStackTrace();
        } else {
            System.err.println("(run with CAIMAN_JAVA_OPTS=-Dcaiman.debug=true for the stack trace)");
        }
        return 1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"caiman " + (v == null ? "(development build)" : v)};
        }
    }
}
