using Microsoft.Extensions.DependencyInjection.Extensions;
using AdmissionGuard.Admission;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using AdmissionGuard.Observability;
using Prometheus;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace AdmissionGuard.Hosting;

/// <summary>Settings that cannot be used; every problem is one line naming its configuration key.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception("invalid settings: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Composition of the <c>serve</c> verb: configuration, services, listeners and endpoints.</summary>
public static class GuardServer
{
    /// <param name="configure">Extra configuration sources or services, applied before the settings are read (tests add theirs here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json and the built-in example live beside the executable, wherever it is started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        var builtInExample = UseBuiltInExampleIfNoRepository(builder);
        MakeDevelopmentCertificateIfMissing(builder);

        var options = builder.Configuration.GetSection(GuardOptions.Section).Get<GuardOptions>() ?? new GuardOptions();
        var settings = SettingsCompiler.Compile(options, out var settingProblems);
        var problems = settingProblems.ToList();
        var clientAuthority = ClientAuthority(options.Webhook, problems);
        if (problems.Count > 0)
        {
            clientAuthority?.Dispose();
            throw new InvalidSettingsException(problems);
        }

        // Loaded below, once every other setting has been checked and the first fetch started.
        CertificateReloader? certificate = null;
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: false)
                .Endpoint(ServedOn.Webhook.Listener, endpoint =>
                {
                    Tag(endpoint.ListenOptions, ServedOn.Webhook.Listener);
                    if (certificate is not null || clientAuthority is not null)
                    {
                        endpoint.HttpsOptions.OnAuthenticate = (connection, tls) =>
                        {
                            if (certificate is not null)
                            {
                                // Every handshake takes the reloader's current context, built once per certificate. The
                                // copy Kestrel loads from the same files only satisfies its configuration loader.
                                tls.ServerCertificateContext = certificate.Context;
                            }

                            clientAuthority?.Require(tls, connection.RemoteEndPoint);
                        };
                    }
                })
                .Endpoint(ServedOn.Ops.Listener, endpoint => Tag(endpoint.ListenOptions, ServedOn.Ops.Listener));
        });
        if (clientAuthority is not null)
        {
            builder.Services.AddSingleton(_ => clientAuthority);
        }

        builder.Services.AddSerilog(
            (services, logging) =>
            {
                logging
                    .MinimumLevel.Information()
                    .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                    .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                    // Off, so that ASP.NET Core makes no logging scope and no Activity for every request: they only added
                    // the path (always /validate) and a random trace id to decision lines. Its other events are
                    // information-level request logs, and start-up errors that reach the caller anyway.
                    .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off)
                    // Compact JSON lines on standard output, written by the async sink's worker thread; when its
                    // queue is full, emitting waits (lines are delayed, never dropped).
                    .WriteTo.Async(sinks => sinks.Console(new CompactJsonFormatter()), blockWhenFull: true);

                // Sinks added through dependency injection (tests read the audit events this way).
                foreach (var sink in services.GetServices<ILogEventSink>())
                {
                    logging.WriteTo.Sink(sink);
                }
            },
            preserveStaticLogger: true); // Each host logs through its own logger, not the process-wide static one.

        builder.Services.AddSingleton(settings);
        builder.Services.TryAddSingleton(TimeProvider.System);
        // The settings as bound above, whole: every Git setting reaches the refresher as the compiler checked it.
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options.Git));
        builder.Services.AddSingleton<BaselineStore>();
        builder.Services.AddSingleton<BaselineRefresher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BaselineRefresher>());
        builder.Services.AddSingleton<DecisionAudit>();
        builder.Services.AddSingleton<GuardMetrics>();
        builder.Services.AddDriftScanner(builder.Configuration);
        if (builtInExample)
        {
            builder.Services.AddHostedService<WelcomeBanner>();
        }

        // Started now, so that Git answers while the rest of the host is built (the serving certificate alone takes 0.2 s
        // to load); the refresher takes it as its first fetch.
        var firstFetch = FirstFetch.StartIfNothingPersisted(options.Git, RegisteredClock(builder.Services));
        if (firstFetch is not null)
        {
            builder.Services.AddSingleton(_ => firstFetch);
        }

        try
        {
            certificate = ServingCertificate(builder.Configuration, builder.Environment.ContentRootPath);
        }
        catch (InvalidSettingsException)
        {
            clientAuthority?.Dispose();
            firstFetch?.Dispose();
            throw;
        }

        // Registered through a factory and resolved below, so that the host disposes them (and their file watches) when it stops.
        if (certificate is not null)
        {
            builder.Services.AddSingleton(_ => certificate);
        }

        var app = builder.Build();
        if (certificate is not null)
        {
            app.Services.GetRequiredService<CertificateReloader>().Logger = app.Services.GetRequiredService<ILogger<CertificateReloader>>();
        }

        app.Services.GetService<WebhookClientAuthority>()?.ReportTo(app.Services.GetRequiredService<ILogger<WebhookClientAuthority>>());
        if (options.LogFlushInterval is not null)
        {
            app.Services.GetRequiredService<ILogger<GuardOptions>>().LogWarning(
                "{Setting} is no longer used: log lines are written as they come, by a background writer; remove the setting", $"{GuardOptions.Section}:LogFlushInterval");
        }

        app.UseRouting();
        ServedOn.UseListenerSeparation(app);
        app.MapAdmission();
        app.MapStatus();
        app.MapRefresh();
        app.MapDrift();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<GuardMetrics>().Registry).WithMetadata(ServedOn.Ops);
        return app;
    }

    /// <summary>The clock <paramref name="configure"/> registered (tests bring their own), or the system's.</summary>
    private static TimeProvider RegisteredClock(IServiceCollection services) =>
        services.LastOrDefault(service => service.ServiceType == typeof(TimeProvider))?.ImplementationInstance as TimeProvider ?? TimeProvider.System;

    private static bool UseBuiltInExampleIfNoRepository(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{GuardOptions.Section}:Git:Repository"]))
        {
            return false;
        }

        // In a cluster a forgotten repository must stop the pod, not quietly enforce the demo.
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            throw new InvalidSettingsException([$"{GuardOptions.Section}:Git:Repository: required when running in Kubernetes (the built-in example is for trying AdmissionGuard locally)"]);
        }

        var git = builder.Configuration.GetSection($"{GuardOptions.Section}:Git").Get<GitSettings>() ?? new GitSettings();
        var repository = BuiltInExample.Create(git.EffectiveCacheDirectory);
        builder.Configuration.AddInMemoryCollection([new($"{GuardOptions.Section}:Git:Repository", repository)]);
        return true;
    }

    private static void MakeDevelopmentCertificateIfMissing(WebApplicationBuilder builder)
    {
        var certificate = builder.Configuration["Kestrel:Endpoints:Webhook:Certificate:Path"];
        var key = builder.Configuration["Kestrel:Endpoints:Webhook:Certificate:KeyPath"];
        if (certificate == DevelopmentCertificate.DefaultCertificatePath && key == DevelopmentCertificate.DefaultKeyPath)
        {
            // The development certificate lives in certs-dev/ of the working directory (the repository
            // root under `dotnet run`), where certs-dev/make-certs.sh writes it too.
            var (certificateFile, keyFile) = (Path.GetFullPath(certificate), Path.GetFullPath(key));
            DevelopmentCertificate.EnsureExists(certificateFile, keyFile);
            builder.Configuration.AddInMemoryCollection([
                new("Kestrel:Endpoints:Webhook:Certificate:Path", certificateFile),
                new("Kestrel:Endpoints:Webhook:Certificate:KeyPath", keyFile),
            ]);
        }
    }

    /// <summary>A reloading certificate for the webhook listener when it is configured as PEM files.</summary>
    private static CertificateReloader? ServingCertificate(ConfigurationManager configuration, string contentRoot)
    {
        var certificate = configuration["Kestrel:Endpoints:Webhook:Certificate:Path"];
        var key = configuration["Kestrel:Endpoints:Webhook:Certificate:KeyPath"];
        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(key))
        {
            return null;
        }

        try
        {
            return new CertificateReloader(Path.GetFullPath(certificate, contentRoot), Path.GetFullPath(key, contentRoot));
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([$"Kestrel:Endpoints:Webhook:Certificate: cannot load {certificate} with key {key}: {e.Message.ReplaceLineEndings(" ")}"]);
        }
    }

    /// <summary>The CAs whose client certificates may call the webhook port, when <c>Webhook:ClientCa</c> is set.</summary>
    private static WebhookClientAuthority? ClientAuthority(WebhookOptions webhook, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(webhook.ClientCa))
        {
            return null;
        }

        try
        {
            return new WebhookClientAuthority(webhook.ClientCa.Trim());
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            problems.Add($"{WebhookClientAuthority.Setting}: cannot load {webhook.ClientCa.Trim()}: {e.Message.ReplaceLineEndings(" ")}");
            return null;
        }
    }

    private static void Tag(ListenOptions listen, string name) =>
        listen.Use(next => connection =>
        {
            connection.Items[ServedOn.ConnectionItem] = name;
            return next(connection);
        });
}
