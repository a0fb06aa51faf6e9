using AdmissionGuard.Hosting;

return await Cli.RunAsync(args);
