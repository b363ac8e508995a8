module fakeplugin

go 1.19
