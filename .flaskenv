# Public settings for the flask command (python-dotenv loads this file, then .env overrides it).
FLASK_APP=myblog
MYBLOG_CONFIG=development
