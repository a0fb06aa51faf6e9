using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using AdmissionGuard.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>Renders a kustomization under <c>deploy/</c> with <c>kubectl kustomize</c>, once per test run.</summary>
public static class Kustomize
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private static readonly ConcurrentDictionary<string, Lazy<Rendered>> Cache = new(StringComparer.Ordinal);

    /// <summary>The folder holding AdmissionGuard.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <param name="kustomization">A folder relative to <c>deploy/</c>, e.g. <c>overlays/enforce</c>.</param>
    public static Rendered Render(string kustomization) =>
        Cache.GetOrAdd(kustomization, k => new Lazy<Rendered>(() => new Rendered(k, Parse(Run(k))))).Value;

    /// <summary>Renders a kustomization anywhere on disk (a test's own overlay), without caching.</summary>
    public static Rendered RenderFolder(string folder) => new(folder, Parse(RunIn(folder, folder)));

    /// <summary>deploy/ in a temporary folder, where a test can add its own overlay beside the shipped ones.</summary>
    public static TempDirectory CopyOfDeploy()
    {
        var copy = new TempDirectory();
        var source = Path.Combine(RepositoryRoot, "deploy");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = copy.Combine("deploy", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    /// <summary>Renders <paramref name="kustomization"/> (relative to deploy/) with <paramref name="components"/> added, in a copy of deploy/.</summary>
    public static Rendered RenderWith(string kustomization, params string[] components)
    {
        using var deploy = CopyOfDeploy();
        var overlay = Directory.CreateDirectory(deploy.Combine("deploy", "overlays", "with-components")).FullName;
        File.WriteAllText(Path.Combine(overlay, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../../{kustomization}
            components:
            {string.Join("\n", components.Select(c => $"  - ../../components/{c}"))}
            """);
        return RenderFolder(overlay);
    }

    private static IReadOnlyList<YamlMappingNode> Parse(string output)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static string Run(string kustomization) =>
        RunIn(Path.Combine(RepositoryRoot, "deploy", kustomization), "deploy/" + kustomization);

    private static string RunIn(string folder, string kustomization)
    {
        Prerequisite.Command("kubectl", "the deploy tests render deploy/ with kubectl kustomize");
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(folder);
        }

        var start = new ProcessStartInfo("kubectl")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(folder);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("kubectl is not on PATH: the deploy tests render the manifests with `kubectl kustomize`", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {kustomization} took longer than {Timeout}");
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kubectl kustomize {kustomization} exited {process.ExitCode}: {stderr.Result}");
            }

            return stdout.Result;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdmissionGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AdmissionGuard.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The objects one kustomization renders, with finders for the ones the tests look at.</summary>
public sealed class Rendered(string kustomization, IReadOnlyList<YamlMappingNode> documents)
{
    public const string Namespace = "admissionguard";

    public string Kustomization { get; } = kustomization;

    public IReadOnlyList<YamlMappingNode> Documents { get; } = documents;

    public IReadOnlyList<YamlMappingNode> OfKind(string kind) =>
        [.. Documents.Where(d => d.Text("kind") == kind)];

    public YamlMappingNode? Find(string kind, string name) =>
        Documents.SingleOrDefault(d => d.Text("kind") == kind && d.Text("metadata", "name") == name);

    public YamlMappingNode Single(string kind, string name) =>
        Find(kind, name) ?? throw new KeyNotFoundException($"{Kustomization}: no {kind} {name}");

    public YamlMappingNode Deployment => Single("Deployment", "admissionguard");

    public YamlMappingNode PodSpec => Deployment.Map("spec", "template", "spec");

    public YamlMappingNode PodLabels => Deployment.Map("spec", "template", "metadata", "labels");

    public YamlMappingNode Container => PodSpec.Seq("containers").Named("admissionguard");

    public YamlMappingNode WebhookConfiguration => Single("ValidatingWebhookConfiguration", "admissionguard");

    public YamlMappingNode Webhook => Assert.Single(WebhookConfiguration.Maps("webhooks"));

    /// <summary>The <c>data</c> of the ConfigMap the Deployment reads its settings from.</summary>
    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var name = Assert.Single(Container.Maps("envFrom")).Text("configMapRef", "name");
            return Single("ConfigMap", name).Map("data").Children
                .ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? "", StringComparer.Ordinal);
        }
    }

    /// <summary>The values of a configured list (<c>Key__0</c>, <c>Key__1</c>, ...) in index order.</summary>
    public IReadOnlyList<string> SettingsList(string key) =>
        [.. Settings
            .Select(e => (e.Key, e.Value, Index: e.Key.StartsWith(key + "__", StringComparison.Ordinal) && int.TryParse(e.Key.AsSpan(key.Length + 2), out var i) ? i : -1))
            .Where(e => e.Index >= 0)
            .OrderBy(e => e.Index)
            .Select(e => e.Value)];

    /// <summary>The container's explicit environment variables (<c>env</c>, not <c>envFrom</c>).</summary>
    public IReadOnlyList<(string Name, string? Value)> Env =>
        [.. Container.Maps("env").Select(e => (e.Text("name"), e.TextOrNull("value")))];

    public string EnvValue(string name) =>
        Assert.Single(Env, e => e.Name == name).Value ?? throw new KeyNotFoundException(name);

    /// <summary>The container port a Service or probe <c>port</c>/<c>targetPort</c> (number or name) reaches.</summary>
    public int ContainerPort(string portOrName) =>
        int.TryParse(portOrName, out var number)
            ? number
            : int.Parse(Container.Seq("ports").Named(portOrName).Text("containerPort"));

    /// <summary>The pod volume mounted at <paramref name="mountPath"/>.</summary>
    public YamlMappingNode VolumeAt(string mountPath)
    {
        var mount = Assert.Single(Container.Maps("volumeMounts"), m => m.Text("mountPath") == mountPath);
        return PodSpec.Seq("volumes").Named(mount.Text("name"));
    }

    /// <summary>True when every label of <paramref name="selector"/> (a matchLabels map) is on the Deployment's pods.</summary>
    public bool SelectsPods(YamlMappingNode selector) =>
        selector.Children.Count > 0
        && selector.Children.All(e => PodLabels.TextOrNull(((YamlScalarNode)e.Key).Value!) == ((YamlScalarNode)e.Value).Value);
}
