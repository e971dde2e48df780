# adamec-silo image (Debian 12 based, like the development machine; the build step patches
# libLibTorchSharp's GLIBCXX version-need, see build/TorchSharpNative.targets).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Silo -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "adamec-silo.dll"]
