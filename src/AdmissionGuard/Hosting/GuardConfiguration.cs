namespace AdmissionGuard.Hosting;

/// <summary>The settings as <c>serve</c> reads them (appsettings.json, environment, --Key=Value), for the offline verbs.</summary>
public static class GuardConfiguration
{
    public static GuardOptions ReadOptions(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();
        var options = configuration.GetSection(GuardOptions.Section).Get<GuardOptions>() ?? new GuardOptions();
        if (string.IsNullOrWhiteSpace(options.Git.Repository))
        {
            options.Git.Repository = BuiltInExample.Create(options.Git.EffectiveCacheDirectory);
        }

        return options;
    }
}
