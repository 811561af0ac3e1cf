package io.caiman.cli;

import io.caiman.core.config.ConfigDocs;
import io.caiman.core.config.ConfigException;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.config.ConfigProblem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "config", mixinStandardHelpOptions = true, description = "Check, convert and document configuration.",
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Convert.class, ConfigCommand.Docs.class})
final class ConfigCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Check a configuration (YAML or Alligator syntax) with its CAIMAN_* environment overrides.",
                "Prints every problem with file, line, key, value and rule; exits 1 if there are any."})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The configuration file.")
        Path file;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a setting (repeatable).")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() {
            List<ConfigProblem> problems = new ArrayList<>();
            ConfigLoader.check(file, System.getenv(), overrides, problems);
            if (problems.isEmpty()) {
                System.out.println(file + ": OK");
                return 0;
            }
            problems.forEach(System.out::println);
            System.out.println(problems.size() + (problems.size() == 1 ? " problem" : " problems"));
            return 1;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = "Print the Caiman YAML equivalent of an Alligator configuration's cluster, entrypoint and "
                    + "aggregate blocks (other blocks are listed as not converted).")
    static final class Convert implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The Alligator configuration file.")
        Path file;

        @Override
        public Integer call() throws Exception {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            try {
                System.out.print(ConfigLoader.convertAlligator(text, file.toString()));
                return 0;
            } catch (ConfigException e) {
                e.problems().forEach(System.err::println);
                return 1;
            }
        }
    }

    @Command(name = "docs", mixinStandardHelpOptions = true,
            description = "Print the configuration reference (docs/config.md) generated from the declared settings.")
    static final class Docs implements Runnable {
        @Override
        public void run() {
            System.out.print(ConfigDocs.markdown());
        }
    }
}
