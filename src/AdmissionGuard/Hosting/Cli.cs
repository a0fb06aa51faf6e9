using System.CommandLine;
using AdmissionGuard.Cli;

namespace AdmissionGuard.Hosting;

/// <summary>
/// The verbs: <c>serve</c> (the default) runs the webhook, <c>check</c> and <c>drift</c> run once and exit.
/// Words a verb does not know are configuration arguments (<c>--AdmissionGuard:Mode=Warn</c>) when they name a
/// section the product reads and, under AdmissionGuard, a setting; anything else is a usage error with exit 2.
/// </summary>
public static class Cli
{
    public static Task<int> RunAsync(string[] args) => Parse(args).InvokeAsync();

    /// <summary>Runs with the given writers for help and usage errors, and a token that stops <c>serve</c> (tests run verbs in process).</summary>
    public static Task<int> RunAsync(string[] args, InvocationConfiguration configuration, CancellationToken cancel) =>
        Parse(args).InvokeAsync(configuration, cancel);

    /// <summary>The command line as the verbs will see it: <see cref="VerbArguments.Of"/> tells what it runs, or why it is refused.</summary>
    public static ParseResult Parse(string[] args) => Create().Parse(args);

    private static RootCommand Create()
    {
        var serve = new Command("serve", "Run the admission webhook (the default verb). Settings come from appsettings.json, "
            + "environment variables (AdmissionGuard__Git__Repository=...) and configuration arguments (--AdmissionGuard:Mode=Warn).")
        {
            // Configuration arguments reach the verb unmatched; VerbArguments refuses any other unmatched word.
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(ServeAsync);

        var root = new RootCommand("AdmissionGuard: keeps Kubernetes NetworkPolicies equal to Git. Without a verb it runs serve.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Subcommands.Add(serve);
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(DriftCommand.Create());
        root.SetAction(ServeAsync);
        VerbHelp.Use(root);
        return root;
    }

    private static async Task<int> ServeAsync(ParseResult result, CancellationToken cancel)
    {
        var arguments = VerbArguments.Of(result);
        if (arguments.UsageError is { } usage)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(usage);
            return 2;
        }

        return await ServeAsync([.. arguments.Configuration], cancel);
    }

    private static async Task<int> ServeAsync(string[] configurationArgs, CancellationToken cancel)
    {
        WebApplication app;
        try
        {
            app = GuardServer.Build(configurationArgs);
        }
        catch (InvalidSettingsException e)
        {
            foreach (var problem in e.Problems)
            {
                await Console.Error.WriteLineAsync("admissionguard: " + problem);
            }

            return 2;
        }

        try
        {
            await app.RunAsync(cancel);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            // Start-up failures (port in use, unreadable certificate): one line, no stack trace.
            await Console.Error.WriteLineAsync($"admissionguard: cannot start: {e.Message.ReplaceLineEndings(" ")}");
            return 2;
        }
    }
}
