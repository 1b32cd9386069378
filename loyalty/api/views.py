from rest_framework.views import APIView


class ApiView(APIView):
    pass
