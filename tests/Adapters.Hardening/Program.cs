using Adapters.Hardening;

// `dotnet run -c Release --project tests/Adapters.Hardening -- fuzz|load-timing [options]`
return args.FirstOrDefault() switch
{
    "fuzz" => FuzzCommand.Run(args[1..]),
    "load-timing" => await LoadTiming.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Adapters.Hardening fuzz [--seconds S] [--seed N] [--target NAME] [--crashes DIR]");
    Console.Error.WriteLine("       Adapters.Hardening load-timing [--loads N] [--cycles N]");
    return 2;
}
