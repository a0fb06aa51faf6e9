using System.CommandLine;
using AdmissionGuard.Cli;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Cli;

/// <summary>
/// Verbs and options are strict: a word no verb knows is exit 2 with one line naming it and what was probably
/// meant, never a server started or a setting ignored. Configuration arguments still pass through to every verb.
/// </summary>
public sealed class CommandLineTests
{
    private const string Verbs = "verbs: serve, check, drift";

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["chekc"], $"admissionguard: unknown verb \"chekc\" (did you mean \"check\"?); {Verbs}" },
        { ["drfit", "--live", "live.yaml"], $"admissionguard: unknown verb \"drfit\" (did you mean \"drift\"?); {Verbs}" },
        { ["frobnicate"], $"admissionguard: unknown verb \"frobnicate\"; {Verbs}" },
        { ["--AdmissionGuard:Mode=Warn", "chekc"], $"admissionguard: unknown verb \"chekc\" (did you mean \"check\"?); {Verbs}" },
        { ["help"], $"admissionguard: unknown verb \"help\" (did you mean \"--help\"?); {Verbs}" },
        { ["--mode=Warn"], "admissionguard: unknown option --mode (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["--mode", "Warn"], "admissionguard: unknown option --mode (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["--review", "denied.json"], "admissionguard: unknown option --review (did you mean admissionguard check --review?)" },
        { ["serve", "--repo", "../gitops"], "admissionguard serve: unknown option --repo (did you mean --AdmissionGuard:Git:Repository=../gitops?)" },
        { ["serve", "--port", "9443"], "admissionguard serve: unknown option --port (admissionguard serve takes configuration arguments only, such as --AdmissionGuard:Mode=Warn; see admissionguard serve --help)" },
        { ["serve", "--Logging:LogLevel:Default=Debug"], "admissionguard serve: unknown option --Logging:LogLevel:Default (not a configuration section AdmissionGuard reads: AdmissionGuard, Kestrel)" },
        { ["check", "--mode=Warn", "--review", "denied.json"], "admissionguard check: unknown option --mode (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["check", "--reveiw", "denied.json"], "admissionguard check: unknown option --reveiw (did you mean --review?)" },
        { ["check", "--review", "denied.json", "--users", "ci"], "admissionguard check: unknown option --users (did you mean --AdmissionGuard:Trusted:Users:0=ci?)" },
        { ["check", "--review", "denied.json", "other.json"], "admissionguard check: unexpected argument \"other.json\" (check takes options only; see admissionguard check --help)" },
        { ["check", "--review", "denied.json", "AdmissionGuard:Mode=Warn"], "admissionguard check: unknown argument AdmissionGuard:Mode=Warn (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["check", "--review", "denied.json", "--AdmisionGuard:Mode=Warn"], "admissionguard check: unknown option --AdmisionGuard:Mode (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["check", "--review", "denied.json", "--AdmissionGuard:Mode"], "admissionguard check: configuration argument --AdmissionGuard:Mode has no value (write --AdmissionGuard:Mode=VALUE)" },
        { ["check", "--review", "denied.json", "--AdmissionGuard:Mdoe=Warn"], "admissionguard check: --AdmissionGuard:Mdoe sets nothing (did you mean --AdmissionGuard:Mode=Warn?)" },
        { ["drift", "--AdmissionGuard:ExcludedNamespaces=shop"], "admissionguard drift: --AdmissionGuard:ExcludedNamespaces sets nothing (did you mean --AdmissionGuard:ExcludedNamespaces:0=shop?)" },
        { ["--AdmissionGuard:Colour=on"], "admissionguard: --AdmissionGuard:Colour sets nothing: no such setting (see the Settings table in README.md)" },
        { ["drift", "--live", "live.yaml", "--outptu", "json"], "admissionguard drift: unknown option --outptu (did you mean --output?)" },
        { ["drift", "--compare-metadata", "true"], "admissionguard drift: unknown option --compare-metadata (did you mean --AdmissionGuard:CompareMetadata=true?)" },
        { ["drift", "--frobnicate"], "admissionguard drift: unknown option --frobnicate (options: --repo, --ref, --path, --default-namespace, --live, --kubeconfig, --context, --namespace, --output, --fix, --yes, --prune, --dry-run; see admissionguard drift --help)" },
        { ["drift", "-x=1"], "admissionguard drift: unknown option -x (options: --repo, --ref, --path, --default-namespace, --live, --kubeconfig, --context, --namespace, --output, --fix, --yes, --prune, --dry-run; see admissionguard drift --help)" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task An_unknown_verb_or_option_is_one_line_naming_what_was_meant_and_exit_2(string[] arguments, string expected)
    {
        var result = await InProcessCli.RunAsync(arguments, within: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}, stderr: {result.Errors}");
        Assert.Equal(expected, Assert.Single(result.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(result.Output);
    }

    public static TheoryData<string[], string[]> Helps => new()
    {
        { ["--help"], [" [command] [options]", "serve", "check", "drift", "--AdmissionGuard:Key=Value", "--Kestrel:Endpoints:"] },
        { ["-h"], [" [command] [options]", "serve", "check", "drift", "--AdmissionGuard:Key=Value"] },
        { ["serve", "--help"], [" serve [options]", "--AdmissionGuard:Key=Value", "--Kestrel:Endpoints:Webhook:Url=", "Settings table in README.md", "--Section:Key Value"] },
        { ["serve", "-h"], [" serve [options]", "--AdmissionGuard:Key=Value"] },
        { ["check", "--help"], [" check [options]", "--review", "--repo", "--ref", "1 denied", "--AdmissionGuard:Key=Value"] },
        { ["check", "-h"], [" check [options]", "--review"] },
        { ["drift", "--help"], [" drift [options]", "--repo", "--ref", "--path", "--default-namespace", "--live", "--kubeconfig", "--context", "--namespace", "--output", "1 drift", "--AdmissionGuard:Key=Value"] },
        { ["drift", "-h"], [" drift [options]", "--live"] },
    };

    // The usage line begins with the executable's name, which in process is the test host's.
    [Theory]
    [MemberData(nameof(Helps))]
    public async Task Help_of_each_verb_names_its_options_and_the_configuration_arguments_and_exits_0(string[] arguments, string[] mentions)
    {
        var result = await InProcessCli.RunAsync(arguments, within: TimeSpan.FromSeconds(30));

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Errors);
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, result.Output, StringComparison.Ordinal);
        }

        // Unknown words are refused now, so the help must not offer to pass them through.
        Assert.DoesNotContain("additional arguments", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string[], string[]> Served => new()
    {
        { ["--AdmissionGuard:Mode=Warn"], ["--AdmissionGuard:Mode=Warn"] },
        { ["--AdmissionGuard:Mode", "Warn"], ["--AdmissionGuard:Mode", "Warn"] },
        { ["--admissionguard:git:ref=release"], ["--admissionguard:git:ref=release"] },
        { ["--Kestrel:Endpoints:Webhook:Url", "https://0.0.0.0:9443", "--AdmissionGuard:Git:Repository=../gitops"], ["--Kestrel:Endpoints:Webhook:Url", "https://0.0.0.0:9443", "--AdmissionGuard:Git:Repository=../gitops"] },
        { ["serve", "--AdmissionGuard:Mode=Warn"], ["--AdmissionGuard:Mode=Warn"] },
        { ["--AdmissionGuard:Trusted:Users:0=ci", "--AdmissionGuard:NamespaceModes:shop=Warn", "--AdmissionGuard:Drift:Enabled=true"], ["--AdmissionGuard:Trusted:Users:0=ci", "--AdmissionGuard:NamespaceModes:shop=Warn", "--AdmissionGuard:Drift:Enabled=true"] },
        { [], [] },
    };

    [Theory]
    [MemberData(nameof(Served))]
    public void Configuration_arguments_alone_run_serve_with_them(string[] arguments, string[] configuration)
    {
        // Parsed, not run: running would start the server. The verbs act on exactly this.
        var result = AdmissionGuard.Hosting.Cli.Parse(arguments);
        var verb = VerbArguments.Of(result);

        Assert.True(result.CommandResult.Command is RootCommand or { Name: "serve" }, result.CommandResult.Command.Name);
        Assert.Null(verb.UsageError);
        Assert.Equal(configuration, verb.Configuration);
    }

    [Fact]
    public void Every_key_of_the_README_settings_table_is_accepted_as_a_configuration_argument()
    {
        // Rows such as "| `Git:Username`, `Git:TokenFile` | ..." and "| `NamespaceModes:<glob>` | ...".
        var rows = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md"))
            .SkipWhile(line => !line.StartsWith("| key (under `AdmissionGuard`)", StringComparison.Ordinal))
            .Skip(2)
            .TakeWhile(line => line.StartsWith('|'));
        var keys = rows
            .SelectMany(row => row.Split('|')[1].Split(',').Select(k => k.Trim().Trim('`')))
            .Select(k => k.Replace("<glob>", "shop", StringComparison.Ordinal).Replace("<n>", "0", StringComparison.Ordinal).Replace("<name>", "CLUSTER", StringComparison.Ordinal))
            .Select(k => k.Split(':')[^1] is "Users" or "Groups" or "SystemDeleters" or "AllowedGroups" or "Paths" or "GovernedNamespaces" or "ExcludedNamespaces"
                or "IgnoredMetadataKeys" or "Include" or "FluxSources" or "RepositoryAliases" ? k + ":0" : k)
            .ToList();
        Assert.True(keys.Count > 30, string.Join(", ", keys));

        var refused = keys
            .Select(k => (Key: k, VerbArguments.Of(AdmissionGuard.Hosting.Cli.Parse(["check", "--review", "r.json", $"--AdmissionGuard:{k}=x"])).UsageError))
            .Where(k => k.UsageError is not null)
            .ToList();
        Assert.Empty(refused);
    }

    [Fact]
    public async Task The_executable_refuses_a_mistyped_verb_without_starting_the_server()
    {
        using var work = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            // Were the server started anyway, it would not take the ports of anything else running.
            ["Kestrel__Endpoints__Webhook__Url"] = $"https://127.0.0.1:{Ports.Free()}",
            ["Kestrel__Endpoints__Ops__Url"] = $"http://127.0.0.1:{Ports.Free()}",
            ["AdmissionGuard__Git__CacheDirectory"] = work.Combine("cache"),
        };
        using var process = Executable.Start(work.Path, environment, "chekc", "--review", "denied.json");
        var errors = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("admissionguard chekc did not exit: it ran the server");
        }

        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"admissionguard: unknown verb \"chekc\" (did you mean \"check\"?); {Verbs}", (await errors).Trim());
    }
}
