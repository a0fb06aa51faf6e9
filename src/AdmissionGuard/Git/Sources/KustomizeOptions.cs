namespace AdmissionGuard.Git.Sources;

/// <summary><c>Git:Kustomize</c>, validated.</summary>
internal sealed record KustomizeOptions(IReadOnlyList<string> Command, bool LoadRestrictorNone, TimeSpan Timeout, bool StrictSubstitution)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Each kustomize process takes 50-90 MB, which counts against the pod's memory limit.</summary>
    public const int MaxConcurrentRenders = 2;

    public static KustomizeOptions Compile(KustomizeSettings settings, string key, List<string> problems)
    {
        string[] command = settings.Command is { Length: > 0 } text
            ? text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : DefaultCommand();
        if (command.Length == 0)
        {
            problems.Add($"{key}:Command: empty; give the program and its first words, such as \"kustomize build\"");
            command = DefaultCommand();
        }

        var none = true;
        switch (settings.LoadRestrictor?.Trim())
        {
            case null or "" or "None":
                break;
            case "RootOnly":
                none = false;
                break;
            default:
                problems.Add($"{key}:LoadRestrictor: \"{Core.Excerpt.Of(settings.LoadRestrictor)}\" is not None or RootOnly");
                break;
        }

        var timeout = DefaultTimeout;
        if (settings.Timeout is { Length: > 0 } duration && (!Hosting.Durations.TryParse(duration, out timeout) || timeout <= TimeSpan.Zero))
        {
            problems.Add($"{key}:Timeout: \"{Core.Excerpt.Of(duration)}\" is not a duration such as 60s or 2m");
            timeout = DefaultTimeout;
        }

        var strict = false;
        if (settings.StrictSubstitution is { Length: > 0 } flag && !bool.TryParse(flag.Trim(), out strict))
        {
            problems.Add($"{key}:StrictSubstitution: \"{Core.Excerpt.Of(flag)}\" is not true or false");
        }

        return new KustomizeOptions(command, none, timeout, strict);
    }

    /// <summary><c>kustomize build</c> when kustomize is on PATH, else kubectl's built-in <c>kubectl kustomize</c>.</summary>
    private static string[] DefaultCommand() => OnPath("kustomize") ? ["kustomize", "build"] : ["kubectl", "kustomize"];

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, program)));
}
