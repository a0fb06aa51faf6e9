using System.CommandLine;
using System.CommandLine.Invocation;
using AdmissionGuard.Cluster;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Hosting;
using k8s;

namespace AdmissionGuard.Cli;

/// <summary>What <c>admissionguard drift</c> was asked to compare, and how to print it.</summary>
public sealed record DriftRequest
{
    public string? Repository { get; init; }

    public string? Ref { get; init; }

    public IReadOnlyList<string> Paths { get; init; } = [];

    public string? DefaultNamespace { get; init; }

    public string? LiveFile { get; init; }

    public string? Kubeconfig { get; init; }

    public string? Context { get; init; }

    public IReadOnlyList<string> Namespaces { get; init; } = [];

    public string Output { get; init; } = "text";

    /// <summary>Print how to bring the cluster back to Git; with <see cref="Yes"/> or a server dry run, do it.</summary>
    public bool Fix { get; init; }

    public bool Yes { get; init; }

    /// <summary>Delete policies Git does not declare, too.</summary>
    public bool Prune { get; init; }

    /// <summary><c>server</c>: send the writes with dryRun=All, so the API server checks them and changes nothing.</summary>
    public string? DryRun { get; init; }

    /// <summary>Configuration overrides, as for <c>serve</c>: <c>--AdmissionGuard:ExcludedNamespaces:0=kube-system</c>.</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; init; } = [];
}

/// <summary>
/// <c>admissionguard drift</c>: compares the cluster's NetworkPolicies (a saved <c>kubectl get</c>, or
/// the API server) with Git once, with the same settings and equivalence as <c>serve</c>.
/// Exit 0 no drift, 1 drift, 2 error (one line on stderr).
/// </summary>
public static class DriftCommand
{
    public static readonly string[] Formats = ["text", "json", "sarif"];

    public static Command Create()
    {
        var repo = new Option<string>("--repo") { Description = "Git repository (path, file:// or https:// URL); default: AdmissionGuard:Git:Repository, else the built-in example", HelpName = "URL|PATH" };
        var gitRef = new Option<string>("--ref") { Description = "branch, tag or commit; default: AdmissionGuard:Git:Ref (main)", HelpName = "REF" };
        var paths = new Option<string[]>("--path") { Description = "glob of manifest files in the repository (repeatable); default: AdmissionGuard:Git:Paths (**/*.yaml, **/*.yml)", HelpName = "GLOB" };
        var defaultNamespace = new Option<string>("--default-namespace") { Description = "namespace of manifests that name none; default: AdmissionGuard:Git:DefaultNamespace (default)", HelpName = "NAMESPACE" };
        var live = new Option<string>("--live") { Description = "the cluster's NetworkPolicies saved with kubectl get networkpolicies -A -o yaml --show-managed-fields (or -o json); without managedFields items do not say who changed them", HelpName = "FILE" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "read the cluster with this kubeconfig; default inside a pod: its service account", HelpName = "FILE" };
        var context = new Option<string>("--context") { Description = "kubeconfig context; default: its current context", HelpName = "NAME" };
        var namespaces = new Option<string[]>("--namespace", "-n") { Description = "only these namespaces (glob, repeatable); default: every governed namespace", HelpName = "GLOB" };
        var output = new Option<string>("--output", "-o") { Description = "text (coloured on a terminal), json or sarif", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong(Formats);
        var fix = new Option<bool>("--fix") { Description = "print the plan that brings the cluster back to Git (update modified policies to Git's spec, create missing ones); changes nothing without --yes" };
        var yes = new Option<bool>("--yes") { Description = "with --fix: carry the plan out, as field manager admissionguard, and read every write back" };
        var prune = new Option<bool>("--prune") { Description = "with --fix: also delete policies Git does not declare" };
        var dryRun = new Option<string>("--dry-run") { Description = "with --fix: server, to send every write with dryRun=All (the API server checks it, nothing changes)", HelpName = "server" };
        dryRun.AcceptOnlyFromAmong("server");

        var command = new Command("drift", "Compare the cluster's NetworkPolicies with Git once, with the settings of serve (appsettings.json, "
            + "AdmissionGuard__* environment variables, --AdmissionGuard:Key=Value arguments). Exit code: 0 no drift, 1 drift, 2 error.")
        {
            repo, gitRef, paths, defaultNamespace, live, kubeconfig, context, namespaces, output, fix, yes, prune, dryRun,
        };
        // Configuration arguments reach the verb unmatched; VerbArguments refuses any other unmatched word.
        command.TreatUnmatchedTokensAsErrors = false;
        command.Action = new DriftAction((result, configurationArgs) => new DriftRequest
        {
            Repository = result.GetValue(repo),
            Ref = result.GetValue(gitRef),
            Paths = result.GetValue(paths) ?? [],
            DefaultNamespace = result.GetValue(defaultNamespace),
            LiveFile = result.GetValue(live),
            Kubeconfig = result.GetValue(kubeconfig),
            Context = result.GetValue(context),
            Namespaces = result.GetValue(namespaces) ?? [],
            Output = result.GetValue(output) ?? "text",
            Fix = result.GetValue(fix),
            Yes = result.GetValue(yes),
            Prune = result.GetValue(prune),
            DryRun = result.GetValue(dryRun),
            ConfigurationArgs = configurationArgs,
        });
        return command;
    }

    public static async Task<int> RunAsync(DriftRequest request, TextWriter output, TextWriter errors, bool colour, CancellationToken cancel)
    {
        try
        {
            if (request.LiveFile is not null && (request.Kubeconfig is not null || request.Context is not null))
            {
                throw new ClusterException("give either --live FILE or --kubeconfig FILE, not both");
            }

            if (!request.Fix && (request.Yes || request.Prune || request.DryRun is not null))
            {
                throw new ClusterException("--yes, --prune and --dry-run go with --fix");
            }

            if (request.Fix && request.LiveFile is not null)
            {
                throw new ClusterException("--fix changes the cluster, so it reads the cluster itself: give --kubeconfig (or run in a pod), not --live");
            }

            var options = Options(request);
            var settings = SettingsCompiler.Compile(options, out var problems);
            if (problems.Count > 0)
            {
                throw new InvalidSettingsException(problems);
            }

            if (options.Git.Repository is { } repository && !repository.Contains("://", StringComparison.Ordinal) && !Directory.Exists(repository))
            {
                throw new BaselineLoadException($"repository not found: {Path.GetFullPath(repository)} is not a directory (give a path or a URL with --repo)");
            }

            if (options.Git.Repository == Path.Combine(options.Git.EffectiveCacheDirectory, "example-gitops"))
            {
                await errors.WriteLineAsync("admissionguard drift: no Git repository given (--repo): comparing with the built-in example").ConfigureAwait(false);
            }

            var cluster = request.LiveFile is null
                ? KubernetesApi.Configuration(request.Kubeconfig, request.Context, "--kubeconfig", "give a kubeconfig file (--kubeconfig) or a live file (--live)")
                : null;
            var (live, liveSource) = request.LiveFile is { } file
                ? (LiveFile.Read(file, options.Git.DefaultNamespace), file)
                : await ReadClusterAsync(cluster!, cancel).ConfigureAwait(false);

            var source = new GitBaselineSource(options.Git, TimeProvider.System, firstRetryDelay: TimeSpan.FromMilliseconds(500));
            var baseline = source.Load(source.Fetch(cancel), DateTimeOffset.UtcNow, cancel).Baseline;
            var scope = request.Namespaces.Select(n => new NamespacePattern(n.Trim())).ToList();
            var report = Drift.Find(baseline, live, settings, scope, DateTimeOffset.UtcNow);

            // On stderr, so that JSON and SARIF on stdout stay one document a tool can read.
            foreach (var notice in baseline.Notices)
            {
                await errors.WriteLineAsync($"admissionguard drift: note: {notice}").ConfigureAwait(false);
            }

            switch (request.Output)
            {
                case "json":
                    await output.WriteLineAsync(DriftJson.Serialize(report)).ConfigureAwait(false);
                    break;
                case "sarif":
                    // Only the files the report names are read again, for their lines: a loaded commit keeps no texts.
                    var texts = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var path in report.Items.Select(i => i.GitPath).OfType<string>().Distinct(StringComparer.Ordinal))
                    {
                        if (source.ReadText(baseline.Commit, path) is { } text)
                        {
                            texts[path] = text;
                        }
                    }

                    await output.WriteLineAsync(DriftSarif.Serialize(report, baseline, texts, options.Git.Repository!)).ConfigureAwait(false);
                    break;
                default:
                    var git = $"{baseline.Ref}@{baseline.ShortCommit} ({options.Git.DisplayRepository})";
                    DriftText.Write(DriftText.Console(output, colour), report, git, liveSource, request.Namespaces);
                    break;
            }

            if (request.Fix)
            {
                // The plan is read by people; with JSON or SARIF on stdout it goes to stderr.
                var plan = request.Output == "text" ? output : errors;
                return await FixAsync(request, report, baseline, new GitServedSpecs(options.Git), settings, cluster!, plan, cancel).ConfigureAwait(false);
            }

            return report.HasDrift ? 1 : 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await errors.WriteLineAsync("admissionguard drift: cancelled").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e)
        {
            // Any failure is exit 2 with one line: CI must never read an error as "drift" or "no drift".
            await errors.WriteLineAsync($"admissionguard drift: {Describe(e)}").ConfigureAwait(false);
            return 2;
        }
    }

    private static GuardOptions Options(DriftRequest request)
    {
        var overrides = new Dictionary<string, string?>();
        if (request.Repository is not null)
        {
            overrides[$"{GuardOptions.Section}:Git:Repository"] = request.Repository;
        }

        var options = GuardConfiguration.ReadOptions([.. request.ConfigurationArgs], overrides);
        if (request.Ref is not null)
        {
            options.Git.Ref = request.Ref;
        }

        if (request.Paths.Count > 0)
        {
            // Replaces the configured list entirely, as a configured list replaces the default.
            options.Git.Paths = [.. request.Paths];
        }

        if (request.DefaultNamespace is not null)
        {
            options.Git.DefaultNamespace = request.DefaultNamespace;
        }

        return options;
    }

    /// <summary>
    /// Prints the repair plan; with --yes (or a server dry run) carries it out, one line per step. Exit 0 when the cluster
    /// is back to Git, 1 when drift remains (kept, or only planned), 2 when a write failed.
    /// </summary>
    private static async Task<int> FixAsync(
        DriftRequest request, DriftReport report, Baseline baseline, GitServedSpecs gitSpecs, DecisionSettings settings, KubernetesClientConfiguration cluster, TextWriter output, CancellationToken cancel)
    {
        var plan = RepairPlan.For(report, request.Prune);
        var apply = request.Yes || request.DryRun is not null;
        if (plan.IsEmpty)
        {
            await output.WriteLineAsync("Nothing to fix: the cluster matches Git.").ConfigureAwait(false);
            return 0;
        }

        var changes = plan.Count(s => s.Action != RepairAction.Keep);
        await output.WriteLineAsync($"\nPlan ({changes} {(changes == 1 ? "change" : "changes")}, to {baseline.Ref}@{baseline.ShortCommit}):").ConfigureAwait(false);
        foreach (var step in plan)
        {
            await output.WriteLineAsync($"  {Verb(step.Action),-7} {step.Item.Id}: {step.Why}").ConfigureAwait(false);
        }

        if (!apply)
        {
            await output.WriteLineAsync("Nothing was changed: run again with --yes to apply it (--dry-run=server asks the API server first).").ConfigureAwait(false);
            return 1;
        }

        using var client = new Kubernetes(cluster);
        var repair = new PolicyRepair(client, baseline, gitSpecs, settings, request.DryRun == "server");
        var failed = 0;
        await output.WriteLineAsync(request.DryRun == "server" ? "Dry run on the API server:" : "Applied:").ConfigureAwait(false);
        foreach (var step in plan.Where(s => s.Action != RepairAction.Keep))
        {
            var outcome = await repair.ApplyAsync(step, cancel).ConfigureAwait(false);
            failed += outcome.Succeeded ? 0 : 1;
            await output.WriteLineAsync($"  {(outcome.Succeeded ? "ok" : "FAILED"),-7} {step.Item.Id}: {outcome.Message}").ConfigureAwait(false);
        }

        var kept = plan.Count(s => s.Action == RepairAction.Keep);
        return failed > 0 ? 2 : kept > 0 || request.DryRun == "server" ? 1 : 0;
    }

    private static string Verb(RepairAction action) => action switch
    {
        RepairAction.Update => "update",
        RepairAction.Create => "create",
        RepairAction.Delete => "delete",
        _ => "keep",
    };

    private static async Task<(IReadOnlyList<CanonicalPolicy> Policies, string Source)> ReadClusterAsync(KubernetesClientConfiguration configuration, CancellationToken cancel)
    {
        var source = configuration.CurrentContext is { Length: > 0 } name ? $"{configuration.Host} (context {name})" : configuration.Host;
        using var client = new Kubernetes(configuration);
        var pipeline = KubernetesApi.Pipeline(retries: 2, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), TimeProvider.System);
        try
        {
            var (policies, _) = await KubernetesApi.ListAsync(client, pipeline, KubernetesApi.Canonical, cancel).ConfigureAwait(false);
            return (policies, source);
        }
        catch (Exception e) when (e is not ClusterException && KubernetesApi.IsApiError(e))
        {
            throw new ClusterException(KubernetesApi.Describe(e, configuration.Host) + " (listing NetworkPolicies in all namespaces)", e);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        ClusterException or InvalidSettingsException => e.Message.ReplaceLineEndings(" "),
        BaselineLoadException or LibGit2Sharp.LibGit2SharpException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException
            => "Git: " + GitBaselineSource.Describe(e),
        IOException or UnauthorizedAccessException or InvalidOperationException => GitBaselineSource.Describe(e),
        _ => $"unexpected {e.GetType().Name}: {GitBaselineSource.Describe(e)}",
    };

    /// <summary>Runs the verb even when parsing failed, so that a usage error is exit 2 (not 1, which means drift).</summary>
    private sealed class DriftAction(Func<ParseResult, IReadOnlyList<string>, DriftRequest> request) : AsynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            var (output, errors) = (parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
            var arguments = VerbArguments.Of(parseResult);

            // An unknown word first: a mistyped option can leave another without its value, and the typo is the news.
            if (arguments.UsageError is { } usage)
            {
                await errors.WriteLineAsync(usage).ConfigureAwait(false);
                return 2;
            }

            if (parseResult.Errors.Count > 0)
            {
                var problem = parseResult.Errors[0].Message.ReplaceLineEndings(" ").Replace("\t", "", StringComparison.Ordinal);
                await errors.WriteLineAsync($"admissionguard drift: {problem} (see admissionguard drift --help)").ConfigureAwait(false);
                return 2;
            }

            // Colour only on the process's own terminal, never into a writer a caller supplied.
            var colour = output == Console.Out && DriftText.UseColour(Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
            return await RunAsync(request(parseResult, arguments.Configuration), output, errors, colour, cancellationToken).ConfigureAwait(false);
        }
    }
}
