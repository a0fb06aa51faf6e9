using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Runs the real kustomize on a folder of a checkout: no network (proxies point nowhere, Git may use only local
/// files), no plugins, Helm or exec (kustomize's defaults, which the guard never turns on), at most
/// <see cref="KustomizeOptions.MaxConcurrentRenders"/> at once, each within its timeout.
/// </summary>
/// <param name="maxOutput">Characters of output past which the render is stopped and refused (<see cref="MaxOutputBytes"/>).</param>
internal sealed class KustomizeBuild(KustomizeOptions options, int maxOutput = KustomizeBuild.MaxOutputBytes)
{
    /// <summary>A render is text the size of its objects; this is far above any real repository.</summary>
    public const int MaxOutputBytes = 256 * 1024 * 1024;

    private static readonly SemaphoreSlim Slots = new(KustomizeOptions.MaxConcurrentRenders, KustomizeOptions.MaxConcurrentRenders);

    /// <param name="folder">The kustomization's folder in the checkout.</param>
    /// <param name="file">The kustomization file as the repository names it, for errors.</param>
    /// <returns>kustomize's output, and how long the build waited for one of the slots before it started.</returns>
    public async Task<(string Output, TimeSpan Queued)> RunAsync(string folder, string file, CancellationToken cancel)
    {
        var queued = Stopwatch.GetTimestamp();
        await Slots.WaitAsync(cancel).ConfigureAwait(false);
        var waited = Stopwatch.GetElapsedTime(queued);
        try
        {
            return (await RunOnceAsync(folder, file, cancel).ConfigureAwait(false), waited);
        }
        finally
        {
            Slots.Release();
        }
    }

    private async Task<string> RunOnceAsync(string folder, string file, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(options.Command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var word in options.Command.Skip(1))
        {
            start.ArgumentList.Add(word);
        }

        start.ArgumentList.Add(folder);
        start.ArgumentList.Add("--load-restrictor");
        start.ArgumentList.Add(options.LoadRestrictorNone ? "LoadRestrictionsNone" : "LoadRestrictionsRootOnly");
        foreach (var (key, value) in Offline)
        {
            start.Environment[key] = value;
        }

        start.Environment["HOME"] = folder;
        start.Environment.Remove("KUBECONFIG");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new RenderException(file, $"{string.Join(' ', options.Command)} did not start");
        }
        catch (Win32Exception e)
        {
            throw new RenderException(file, $"cannot run {string.Join(' ', options.Command)} ({e.Message}): install kustomize or kubectl, or set AdmissionGuard:Git:Kustomize:Command");
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(options.Timeout);
            var output = ReadBoundedAsync(process.StandardOutput, maxOutput, timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                // The output first: past its bound the render is stopped now, not when kustomize, blocked on a full
                // pipe, would reach its timeout.
                var text = await output.ConfigureAwait(false);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                var problems = await errors.ConfigureAwait(false);
                return process.ExitCode == 0
                    ? text
                    : throw new RenderException(file, "kustomize: " + FirstLine(problems, process.ExitCode));
            }
            catch (InvalidDataException e)
            {
                process.Kill(entireProcessTree: true);
                throw new RenderException(file, $"{e.Message}; a render this large is not a set of NetworkPolicies to compare");
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new RenderException(file, $"kustomize took more than {Hosting.Durations.Format(options.Timeout)} (AdmissionGuard:Git:Kustomize:Timeout)");
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }
    }

    /// <summary>Network through nowhere: a remote base that got past the scan fails at once instead of being fetched.</summary>
    private static readonly (string Key, string Value)[] Offline =
    [
        ("HTTP_PROXY", "http://127.0.0.1:9"), ("HTTPS_PROXY", "http://127.0.0.1:9"), ("ALL_PROXY", "http://127.0.0.1:9"),
        ("http_proxy", "http://127.0.0.1:9"), ("https_proxy", "http://127.0.0.1:9"), ("NO_PROXY", ""), ("no_proxy", ""),
        ("GIT_ALLOW_PROTOCOL", "file"), ("GIT_TERMINAL_PROMPT", "0"), ("GIT_SSH_COMMAND", "false"), ("GIT_CONFIG_NOSYSTEM", "1"),
    ];

    private static async Task<string> ReadBoundedAsync(StreamReader reader, int limit, CancellationToken cancel)
    {
        var text = new StringBuilder();
        var buffer = new char[81920];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > limit)
            {
                throw new InvalidDataException($"kustomize wrote more than {(limit >= 1024 * 1024 ? $"{limit / 1024 / 1024} MiB" : $"{limit} characters")}");
            }
        }

        return text.ToString();
    }

    /// <summary>kustomize's error, in one line: its first line that says something, without the "Error: " prefix.</summary>
    private static string FirstLine(string errors, int exitCode)
    {
        var line = errors.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? $"exit code {exitCode}";
        line = line.StartsWith("Error: ", StringComparison.Ordinal) ? line["Error: ".Length..] : line;
        return Core.Excerpt.Of(line, 400);
    }
}
