using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using AdmissionGuard.Hosting;

namespace AdmissionGuard.Cli;

/// <summary>
/// <c>--help</c> (<c>-h</c>) of every verb: System.CommandLine's help, then the configuration arguments the
/// verb accepts, in place of its "additional arguments" (which read as if any word were passed through).
/// </summary>
public sealed class VerbHelp : SynchronousCommandLineAction
{
    private readonly HelpAction _help = new();

    public static void Use(RootCommand root) => root.Options.OfType<HelpOption>().Single().Action = new VerbHelp();

    public override int Invoke(ParseResult parseResult)
    {
        // Help is the last thing this parse does, so the tree may change now: with unmatched words as errors,
        // System.CommandLine leaves "[[--] <additional arguments>...]" and its section out of the help.
        var root = parseResult.RootCommandResult.Command;
        foreach (var command in root.Subcommands.Prepend(root))
        {
            command.TreatUnmatchedTokensAsErrors = true;
        }

        var exit = _help.Invoke(parseResult);
        WriteConfiguration(parseResult.CommandResult.Command, parseResult.InvocationConfiguration.Output);
        return exit;
    }

    private static void WriteConfiguration(Command command, TextWriter output)
    {
        var section = GuardOptions.Section;
        var listeners = command is RootCommand || command.Name == "serve";
        var key = listeners ? "--Kestrel:Endpoints:Name:Key=Value" : $"--{section}:Key=Value";
        string Row(string first) => "  " + first.PadRight(key.Length + 2);

        output.WriteLine("Configuration arguments (the keys of appsettings.json and environment variables; arguments win):");
        output.WriteLine($"{Row($"--{section}:Key=Value")}a setting of the Settings table in README.md: --{section}:Mode=Warn,");
        output.WriteLine($"{Row("")}--{section}:Git:Ref=release, --{section}:ExcludedNamespaces:0=kube-system (a list's entries are numbered)");
        if (listeners)
        {
            output.WriteLine($"{Row(key)}a listener (Webhook, Ops): --Kestrel:Endpoints:Webhook:Url=https://0.0.0.0:8443");
        }

        output.WriteLine($"{Row(listeners ? "--Section:Key Value" : $"--{section}:Key Value")}the same, with the value as the next word");
        output.WriteLine();
    }
}
