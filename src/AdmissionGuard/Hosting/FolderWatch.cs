namespace AdmissionGuard.Hosting;

/// <summary>
/// Calls back when the files of a folder may have changed. A Secret or ConfigMap volume swaps its files
/// through a symlink rename, and watch events can be missed (inotify limits, symlink swaps on some file
/// systems), so the folder is polled as well: the callback decides whether anything really changed.
/// </summary>
internal sealed class FolderWatch : IDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);

    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _poll;

    public FolderWatch(string folder, Action changed)
    {
        try
        {
            _watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.CreationTime };
            _watcher.Changed += (_, _) => changed();
            _watcher.Created += (_, _) => changed();
            _watcher.Renamed += (_, _) => changed();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // The poll below still notices the change.
            _watcher = null;
        }

        _poll = new Timer(_ => changed(), null, PollInterval, PollInterval);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll.Dispose();
    }
}
