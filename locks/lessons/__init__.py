"""The lessons (安全课堂): the catalogue (`catalogue`), which lesson fits a decline or a hold (`fit`), the API."""
