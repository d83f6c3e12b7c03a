return Adapters.Cli.CliApp.Run(args);
