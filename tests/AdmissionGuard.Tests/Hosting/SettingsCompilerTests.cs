using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Hosting;
using AdmissionGuard.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace AdmissionGuard.Tests.Hosting;

/// <summary>Settings as operators write them (configuration keys), validated into what the rules read.</summary>
public sealed class SettingsCompilerTests
{
    public static TheoryData<string, string, string> InvalidSettings() => new()
    {
        { "Trusted:Users:0", "*", "AdmissionGuard:Trusted:Users: \"*\" would trust everyone" },
        { "Mode", "Audit", "AdmissionGuard:Mode: \"Audit\" is not one of Enforce, Warn" },
        { "NamespaceModes:team-*", "Loud", "AdmissionGuard:NamespaceModes:team-*: \"Loud\" is not one of Enforce, Warn" },
        { "NamespaceModeRules:0", "team-*", "AdmissionGuard:NamespaceModeRules:0: \"team-*\" is not pattern=Mode (for example team-*=Warn)" },
        { "NamespaceModeRules:0", "=Warn", "AdmissionGuard:NamespaceModeRules:0: \"=Warn\" is not pattern=Mode" },
        { "NamespaceModeRules:0", "team-*=", "AdmissionGuard:NamespaceModeRules:0: \"team-*=\" is not pattern=Mode" },
        { "NamespaceModeRules:0", "team-*=Enforce, Warn", "AdmissionGuard:NamespaceModeRules:0: \"Enforce, Warn\" is not one of Enforce, Warn" },
        { "Mode", "1", "AdmissionGuard:Mode: \"1\" is not one of Enforce, Warn" },
        { "NamespaceModeRules:0", "team-*=Loud", "AdmissionGuard:NamespaceModeRules:0: \"Loud\" is not one of Enforce, Warn" },
        { "UnmanagedObjects", "Ignore", "AdmissionGuard:UnmanagedObjects: \"Ignore\" is not one of Deny, Allow" },
        { "WhenBaselineUnavailable", "Maybe", "AdmissionGuard:WhenBaselineUnavailable: \"Maybe\" is not one of Deny, Allow" },
        { "CompareMetadata", "yes please", "AdmissionGuard:CompareMetadata: \"yes please\" is not true or false" },
        { "BreakGlass:MaxDuration", "forever", "AdmissionGuard:BreakGlass:MaxDuration: \"forever\" is not a duration" },
        { "Git:RefreshInterval", "-5s", "AdmissionGuard:Git:RefreshInterval: \"-5s\" is not a duration" },
        { "BreakGlass:Annotation", " ", "AdmissionGuard:BreakGlass:Annotation: must not be empty" },
        { "Git:Sources:0:Path", "../elsewhere", "AdmissionGuard:Git:Sources:0:Path: \"../elsewhere\" must be a folder inside the repository" },
        { "Git:Sources:0:Render", "Helm", "AdmissionGuard:Git:Sources:0:Render: \"Helm\" is not Auto, Plain or Kustomize" },
        { "Git:Sources:0:Namespace", "Shop", "AdmissionGuard:Git:Sources:0:Namespace: invalid namespace \"Shop\"" },
        { "Git:Sources:0:TargetNamespace", "${NS}", "AdmissionGuard:Git:Sources:0:TargetNamespace: invalid namespace \"${NS}\"" },
        { "Git:Sources:0:Substitute:1ST", "x", "AdmissionGuard:Git:Sources:0:Substitute:1ST: a variable name is letters, digits and '_'" },
        { "Git:Discover", "Flux, ArgoCD", "AdmissionGuard:Git:Discover: \"Flux, ArgoCD\" is not None, Flux, ArgoCD or All" },
        { "Git:Kustomize:LoadRestrictor", "LoadRestrictionsNone", "AdmissionGuard:Git:Kustomize:LoadRestrictor: \"LoadRestrictionsNone\" is not None or RootOnly" },
        { "Git:Kustomize:Timeout", "never", "AdmissionGuard:Git:Kustomize:Timeout: \"never\" is not a duration" },
        { "Git:Kustomize:StrictSubstitution", "strict", "AdmissionGuard:Git:Kustomize:StrictSubstitution: \"strict\" is not true or false" },
    };

    [Fact]
    public void Sources_discovery_and_its_Flux_sources_are_read_from_the_documented_keys()
    {
        var options = Options(
            ("Git:Sources:0:Path", "./apps/prod/"),
            ("Git:Sources:0:Substitute:CLUSTER", "eu-1"),
            ("Git:Sources:1:Path", ""),
            ("Git:Sources:1:Render", "plain"),
            ("Git:Discover", "All"),
            ("Git:Discover:FluxSources:0", "gitops"),
            ("Git:RepositoryAliases:0", "git@github.com:example/gitops.git"));

        SettingsCompiler.Compile(options, out var problems);
        var plan = Git.Sources.SourcePlan.Compile(options.Git, []);

        Assert.Empty(problems);
        Assert.Equal(["apps/prod", ""], plan.Configured.Select(s => s.Path));
        Assert.Equal("eu-1", plan.Configured[0].Substitute["CLUSTER"]);
        Assert.Equal(Git.Sources.RenderMode.Plain, plan.Configured[1].Render);
        Assert.Equal(Git.Sources.DiscoverTools.All, plan.Discover);
        Assert.Equal(["gitops"], plan.FluxSources.ToArray());
        Assert.True(plan.Repository.Names("https://github.com/example/gitops"));
    }

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void An_invalid_setting_is_reported_in_one_line_naming_its_key(string key, string value, string expected)
    {
        SettingsCompiler.Compile(Options((key, value)), out var problems);

        var problem = Assert.Single(problems);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void Every_invalid_setting_is_reported_not_just_the_first()
    {
        SettingsCompiler.Compile(Options(("Mode", "x"), ("UnmanagedObjects", "y"), ("Trusted:Users:0", "*")), out var problems);

        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var settings = SettingsCompiler.Compile(Options(), out var problems);

        Assert.Empty(problems);
        Assert.Equal(GuardMode.Enforce, settings.Mode);
        Assert.Equal(Fallback.Deny, settings.UnmanagedObjects);
        Assert.Equal(Fallback.Deny, settings.WhenBaselineUnavailable);
        Assert.Null(settings.CompareMetadata);
        Assert.Equal(TimeSpan.FromHours(4), settings.BreakGlass.MaxDuration);
        Assert.Equal(["system:masters"], settings.BreakGlass.AllowedGroups.ToArray());
        Assert.Equal(["kube-system"], settings.ExcludedNamespaces.Select(p => p.Pattern));
        Assert.Equal(TrustedAccounts.DefaultSystemDeleters, settings.Trusted.SystemDeleters);
    }

    [Fact]
    public void Namespace_mode_rules_add_patterns_a_ConfigMap_key_cannot_hold()
    {
        var settings = SettingsCompiler.Compile(
            Options(("NamespaceModes:payments", "Warn"), ("NamespaceModeRules:0", "team-*=Warn"), ("NamespaceModeRules:1", " db-? = enforce ")),
            out var problems);

        Assert.Empty(problems);
        Assert.Equal(
            ["payments=Warn", "team-*=Warn", "db-?=Enforce"],
            settings.NamespaceModes.Select(entry => $"{entry.Pattern.Pattern}={entry.Mode}"));
    }

    [Fact]
    public void A_namespace_pattern_given_two_modes_is_a_problem()
    {
        SettingsCompiler.Compile(Options(("NamespaceModes:payments", "Warn"), ("NamespaceModeRules:0", "payments=Enforce")), out var problems);

        Assert.Equal("AdmissionGuard:NamespaceModeRules:0: namespace pattern \"payments\" already has a mode", Assert.Single(problems));
    }

    [Fact]
    public void A_configured_list_replaces_the_default_instead_of_extending_it()
    {
        var settings = SettingsCompiler.Compile(Options(("ExcludedNamespaces:0", "kube-*"), ("BreakGlass:AllowedGroups:0", "sre")), out _);

        Assert.Equal(["kube-*"], settings.ExcludedNamespaces.Select(p => p.Pattern));
        Assert.Equal(["sre"], settings.BreakGlass.AllowedGroups.ToArray());
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("4h", 14400)]
    [InlineData("00:00:45", 45)]
    public void Durations_read_as_operators_write_them(string text, int seconds)
    {
        var settings = SettingsCompiler.Compile(Options(("BreakGlass:MaxDuration", text)), out var problems);

        Assert.Empty(problems);
        Assert.Equal(TimeSpan.FromSeconds(seconds), settings.BreakGlass.MaxDuration);
    }

    [Fact]
    public void Compared_metadata_always_ignores_the_break_glass_annotations_and_honours_prefixes()
    {
        var settings = SettingsCompiler.Compile(Options(("CompareMetadata", "true"), ("IgnoredMetadataKeys:0", "example.com/")), out _);

        Assert.NotNull(settings.CompareMetadata);
        Assert.True(settings.CompareMetadata.IsIgnored("admissionguard.io/break-glass"));
        Assert.True(settings.CompareMetadata.IsIgnored("admissionguard.io/break-glass-expires"));
        Assert.True(settings.CompareMetadata.IsIgnored("example.com/owner"));
        Assert.False(settings.CompareMetadata.IsIgnored("kubectl.kubernetes.io/last-applied-configuration"));
    }

    [Fact]
    public void Serve_with_invalid_settings_prints_each_problem_on_one_line_and_exits_2()
    {
        using var work = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["AdmissionGuard__Git__Repository"] = work.Path,
            ["AdmissionGuard__Mode"] = "Audit",
            ["AdmissionGuard__Trusted__Users__0"] = "*",
        };

        var result = Executable.Run(work.Path, environment, "serve");

        Assert.Equal(2, result.ExitCode);
        var lines = result.Errors.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("admissionguard: AdmissionGuard:Mode:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("admissionguard: AdmissionGuard:Trusted:Users:", StringComparison.Ordinal));
    }

    [Fact]
    public void In_a_cluster_a_missing_repository_stops_the_server_instead_of_enforcing_the_example()
    {
        using var work = new TempDirectory();
        var environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1" };

        var result = Executable.Run(work.Path, environment, "serve");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("admissionguard: AdmissionGuard:Git:Repository: required when running in Kubernetes (the built-in example is for trying AdmissionGuard locally)", result.Errors.Trim());
    }

    private static GuardOptions Options(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("AdmissionGuard:" + s.Key, s.Value)))
            .AddInMemoryCollection([new("AdmissionGuard:Git:Repository", "/srv/gitops")])
            .Build();
        return configuration.GetSection(GuardOptions.Section).Get<GuardOptions>()!;
    }
}
