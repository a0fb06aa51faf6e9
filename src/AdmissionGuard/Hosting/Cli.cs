using System.CommandLine;

namespace AdmissionGuard.Hosting;

/// <summary>The verbs: <c>serve</c> (default) and <c>check</c>. Unrecognised options are configuration overrides (<c>--AdmissionGuard:Mode=Warn</c>).</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var serve = new Command("serve", "Run the admission webhook (the default verb). Settings come from appsettings.json, "
            + "environment variables (AdmissionGuard__Git__Repository=...) and --Key=Value arguments.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction((result, cancel) => ServeAsync([.. result.UnmatchedTokens], cancel));

        var root = new RootCommand("AdmissionGuard: keeps Kubernetes NetworkPolicies equal to Git.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Subcommands.Add(serve);
        root.Subcommands.Add(AdmissionGuard.Cli.CheckCommand.Create());
        root.Subcommands.Add(AdmissionGuard.Cli.DriftCommand.Create());
        root.SetAction((result, cancel) => ServeAsync([.. result.UnmatchedTokens], cancel));
        return await root.Parse(args).InvokeAsync();
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
